/**
 * The telephony adapters (SPEC §9) as one plugin: builds the Asterisk and FreeSWITCH clients that
 * the configuration switches on, runs each on the node that holds its leader lock, and exposes the
 * event handlers (for the HTTP routes) and the connection states (for /readyz and /metrics).
 */
import fp from 'fastify-plugin';
import { AriClient } from './asterisk/client.js';
import { AsteriskEvents } from './asterisk/events.js';
import type { ConnectionStatus, PbxClient } from './connection.js';
import { EslClient } from './freeswitch/client.js';
import { FreeswitchEvents } from './freeswitch/events.js';
import { AdapterIngest } from './ingest.js';
import { createLeadership, type Leadership } from './leadership.js';
import { registerAdapterMetrics } from './metrics.js';
import { ADAPTER_NAMES, type AdapterName } from './types.js';

export type AdapterStatus = { enabled: false; state: 'off' } | ({ enabled: true; leader: boolean } & ConnectionStatus);

export interface Adapters {
  asterisk: AsteriskEvents;
  freeswitch: FreeswitchEvents;
  status(): Record<AdapterName, AdapterStatus>;
}

declare module 'fastify' {
  interface FastifyInstance {
    adapters: Adapters;
  }
}

interface Running {
  client: PbxClient;
  leadership: Leadership;
}

export default fp(
  async (app) => {
    const { config } = app;
    const log = app.log.child({ component: 'adapters' });
    const running = new Map<AdapterName, Running>();

    const counters = registerAdapterMetrics(
      app.metrics,
      (name) => running.get(name)?.client.status().state === 'connected',
    );
    const ingest = new AdapterIngest(app.calls, counters, app.metrics, log);
    const asterisk = new AsteriskEvents(ingest);
    const freeswitch = new FreeswitchEvents(ingest);

    const clients: Partial<Record<AdapterName, PbxClient>> = {
      ...(config.asterisk && { asterisk: new AriClient(config.asterisk, asterisk, log) }),
      ...(config.freeswitch && { freeswitch: new EslClient(config.freeswitch, freeswitch, log) }),
    };
    for (const name of ADAPTER_NAMES) {
      const client = clients[name];
      if (!client) continue;
      const leadership = createLeadership({
        name: `adapter:${name}`,
        databaseUrl: config.databaseUrl,
        onAcquired: () => client.start(),
        onLost: () => client.stop(),
        log,
      });
      running.set(name, { client, leadership });
    }

    app.decorate('adapters', {
      asterisk,
      freeswitch,
      status: () =>
        Object.fromEntries(
          ADAPTER_NAMES.map((name): [AdapterName, AdapterStatus] => {
            const adapter = running.get(name);
            if (!adapter) return [name, { enabled: false, state: 'off' }];
            return [name, { enabled: true, leader: adapter.leadership.leading, ...adapter.client.status() }];
          }),
        ) as Record<AdapterName, AdapterStatus>,
    });

    app.addHook('onReady', async () => {
      for (const { leadership } of running.values()) leadership.start();
    });
    // Before the core closes the store: the clients' last events still reach it.
    app.addHook('onClose', async () => {
      await Promise.all([...running.values()].map(({ leadership }) => leadership.stop()));
    });
  },
  { name: 'callflow-adapters', dependencies: ['callflow-core'] },
);
