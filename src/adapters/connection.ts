/** What /readyz and /metrics say about a PBX connection. */
export type ConnectionState =
  /** Not holding the connection: the adapter is stopped, or another node holds it. */
  | 'standby'
  | 'connecting'
  | 'connected'
  /** Asterisk gave the application to another client (ApplicationReplaced): not reconnecting. */
  | 'replaced';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Why the last attempt failed or the connection ended (no credentials, no personal data). */
  lastError: string | null;
  /** When `state` last changed (ISO). */
  since: string;
}

/** A PBX client: connects when started (on the node that leads), reconnects until stopped. */
export interface PbxClient {
  status(): ConnectionStatus;
  start(): void;
  stop(): Promise<void>;
}

export class StatusHolder {
  private current: ConnectionStatus = { state: 'standby', lastError: null, since: new Date().toISOString() };

  get(): ConnectionStatus {
    return { ...this.current };
  }

  set(state: ConnectionState, lastError: string | null = this.current.lastError): void {
    const since = state === this.current.state ? this.current.since : new Date().toISOString();
    this.current = { state, lastError, since };
  }

  error(message: string): void {
    this.current = { ...this.current, lastError: message };
  }
}
