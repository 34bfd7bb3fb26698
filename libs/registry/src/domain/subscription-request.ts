import type { NmosType } from './nmos-resource.js';

/**
 * The body of an IS-04 Query API subscription request. `secure` asks for a `wss://` websocket, as the
 * spec requires of a registry served over https (and `ws://` over http).
 */
export function subscriptionRequest(base: string, type: NmosType, params: Record<string, unknown>): Record<string, unknown> {
  return { max_update_rate_ms: 0, resource_path: `/${type}`, params, persist: false, secure: new URL(base).protocol === 'https:' };
}
