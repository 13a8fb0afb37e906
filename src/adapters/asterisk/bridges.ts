/**
 * Who shares a bridge with whom, from ChannelEnteredBridge / ChannelLeftBridge (each carries the
 * bridge's channel list after the change) and `GET /ari/bridges` at every connect. A hold is raised
 * on the channel that starts it, usually the operator's leg: this says which call that leg is in.
 */
import type { AriBridge } from './model.js';

/** Bridges remembered at most; past it the oldest are forgotten (a missed BridgeDestroyed must not
 *  grow memory for ever). A contact centre has one bridge per live call. */
const MAX_BRIDGES = 100_000;

export class BridgeTracker {
  private readonly members = new Map<string, Set<string>>();

  /** A bridge's channels as the PBX says they are now. */
  set(bridge: AriBridge): void {
    this.members.delete(bridge.id); // re-inserted last: the map's order is the forgetting order
    if (bridge.channels.length > 0) this.members.set(bridge.id, new Set(bridge.channels));
    if (this.members.size > MAX_BRIDGES) {
      const oldest = this.members.keys().next().value;
      if (oldest !== undefined) this.members.delete(oldest);
    }
  }

  /** What is known after a reconnect: exactly the bridges Asterisk lists. */
  reset(bridges: AriBridge[]): void {
    this.members.clear();
    for (const bridge of bridges) this.set(bridge);
  }

  enter(bridge: AriBridge, channelId: string | undefined): void {
    const channels = new Set(bridge.channels);
    if (channelId !== undefined) channels.add(channelId);
    this.set({ id: bridge.id, channels: [...channels] });
  }

  leave(bridge: AriBridge, channelId: string): void {
    this.set({ id: bridge.id, channels: bridge.channels.filter((id) => id !== channelId) });
  }

  dropBridge(bridgeId: string): void {
    this.members.delete(bridgeId);
  }

  dropChannel(channelId: string): void {
    for (const [bridgeId, channels] of this.members) {
      if (channels.delete(channelId) && channels.size === 0) this.members.delete(bridgeId);
    }
  }

  /** The channels sharing a bridge with `channelId`. */
  peersOf(channelId: string): string[] {
    const peers = new Set<string>();
    for (const channels of this.members.values()) {
      if (!channels.has(channelId)) continue;
      for (const id of channels) if (id !== channelId) peers.add(id);
    }
    return [...peers];
  }

  get size(): number {
    return this.members.size;
  }
}
