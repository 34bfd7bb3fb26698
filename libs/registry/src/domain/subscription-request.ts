import type { NmosType } from './nmos-resource.js';

/**
 * The body of an IS-04 Query API subscription request. `secure` asks for a `wss://` websocket, as the
 * spec requires of a registry served over https (and `ws://` over http). `max_update_rate_ms` 0: the
 * snapshot is not paced by the registry (nmos-cpp sends one message of at most 100 grains per
 * interval: at 100 ms, 12,000 senders took 12 s whatever we did), and live changes show at once; the
 * watcher batches what arrives while it writes, and stops reading a socket whose backlog is full, so
 * an unpaced snapshot waits in TCP rather than in memory.
 */
export function subscriptionRequest(base: string, type: NmosType, params: Record<string, unknown>): Record<string, unknown> {
  return { max_update_rate_ms: 0, resource_path: `/${type}`, params, persist: false, secure: new URL(base).protocol === 'https:' };
}
