/** One ARI event, from the socket or the HTTP route: checked, mapped, applied, counted. */
import type { AdapterIngest } from '../ingest.js';
import type { Outcome } from '../types.js';
import { BridgeTracker } from './bridges.js';
import { mapAriEvent } from './mapping.js';
import { type AriBridge, type MappedAriEvent, type OtherAriEvent, parseAriEvent } from './model.js';

export type ParsedAriEvent = MappedAriEvent | OtherAriEvent;

export class AsteriskEvents {
  readonly bridges = new BridgeTracker();

  constructor(private readonly ingest: AdapterIngest) {}

  parse(value: unknown) {
    return parseAriEvent(value);
  }

  malformed(reason: string): void {
    this.ingest.malformed('asterisk', reason);
  }

  failed(type: string, error: unknown): void {
    this.ingest.failed('asterisk', type, error);
  }

  /**
   * Applies one checked event. `talkDetect` (the socket client) switches talk detection on for a
   * call's channel once its StasisStart created the call (or found it created: a replay).
   */
  async handle(event: ParsedAriEvent, talkDetect?: (channelId: string) => void): Promise<Outcome> {
    const mapped = mapAriEvent(event, this.bridges, {
      onNameDropped: (reason) =>
        this.ingest.log.warn({ adapter: 'asterisk', reason }, 'CALLFLOW_* name not usable; the call starts without it'),
    });
    const outcome = await this.ingest.apply('asterisk', mapped);
    if (talkDetect && mapped.action?.kind === 'create' && (outcome === 'applied' || outcome === 'duplicate')) {
      talkDetect(mapped.action.call.callId);
    }
    return outcome;
  }

  /** What Asterisk lists at connect time replaces what was tracked before the connection dropped. */
  resetBridges(bridges: AriBridge[]): void {
    this.bridges.reset(bridges);
  }
}
