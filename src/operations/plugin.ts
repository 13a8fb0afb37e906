/**
 * Operating it (SPEC §10): idle calls end by themselves; personal data is erased on request and
 * by retention. Capabilities that hold personal data about a call register a holder
 * (`app.personalData.hold(...)`) so an erasure reaches their rows too.
 */
import fp from 'fastify-plugin';
import { type ErasureOutcome, type ErasureReason, erasePersonalData, type PersonalDataHolder } from './erasure.js';
import { knownHolders } from './holders.js';
import { startIdleCalls } from './idle-calls.js';
import { startRetention } from './retention.js';

export interface PersonalData {
  /** Adds a capability's personal data to every erasure from now on. */
  hold(holder: PersonalDataHolder): void;
  erase(callId: string, reason: ErasureReason, requestedBy: string | null): Promise<ErasureOutcome>;
}

declare module 'fastify' {
  interface FastifyInstance {
    personalData: PersonalData;
  }
}

export default fp(
  async (app) => {
    const { calls, store, jobs, config, metrics } = app;
    // Escalations and webhook messages, when their capabilities' tables exist in this store.
    const holders: PersonalDataHolder[] = await knownHolders(store);
    const erasures = metrics.counter('callflow_erasures_total', 'Personal-data erasures, by reason', ['reason']);
    const deps = { calls, store, holders };

    startIdleCalls({ calls, store, jobs, idleMs: Math.round(config.idleCallSeconds * 1000) });
    const retention = startRetention(
      { ...deps, jobs },
      {
        retentionMs: Math.round(config.retentionDays * 86_400_000),
        onErased: (count) => erasures.inc({ reason: 'retention' }, count),
      },
    );

    app.decorate('personalData', {
      hold: (holder) => holders.push(holder),
      async erase(callId, reason, requestedBy) {
        const outcome = await erasePersonalData(deps, callId, reason, requestedBy);
        erasures.inc({ reason });
        // Ids and kinds only: never the erased data.
        app.log.info({ callId, reason, kinds: outcome.kinds, scrubbed: outcome.scrubbed }, 'personal data erased');
        if (!outcome.scrubbed)
          app.log.warn({ callId }, 'the SQLite WAL could not be truncated at once after an erasure');
        return outcome;
      },
    } satisfies PersonalData);

    // Armed at every start (replacing the row): a changed RETENTION_DAYS applies at once.
    app.addHook('onReady', async () => retention.schedule());
  },
  { name: 'callflow-operations', dependencies: ['callflow-core', 'callflow-metrics'] },
);
