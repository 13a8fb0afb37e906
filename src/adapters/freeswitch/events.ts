/** One FreeSWITCH event, from the socket or the HTTP route: checked, mapped, applied, counted. */
import type { AdapterIngest } from '../ingest.js';
import type { Outcome } from '../types.js';
import { mapFsEvent } from './mapping.js';
import { type FsEventHeaders, parseFsEvent } from './model.js';

export class FreeswitchEvents {
  constructor(private readonly ingest: AdapterIngest) {}

  parse(value: unknown) {
    return parseFsEvent(value);
  }

  malformed(reason: string): void {
    this.ingest.malformed('freeswitch', reason);
  }

  failed(type: string, error: unknown): void {
    this.ingest.failed('freeswitch', type, error);
  }

  handle(event: FsEventHeaders): Promise<Outcome> {
    const mapped = mapFsEvent(event, {
      onNameDropped: (reason) =>
        this.ingest.log.warn(
          { adapter: 'freeswitch', reason },
          'CALLFLOW_* name not usable; the call starts without it',
        ),
    });
    return this.ingest.apply('freeswitch', mapped);
  }
}
