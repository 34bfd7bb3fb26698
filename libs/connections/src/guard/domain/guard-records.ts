import type { RoutingPolicy } from './policy.js';

/** Locks and policies as stored and answered by the routing API. */
export interface ReceiverLock {
  receiver_id: string;
  owner: { kind: string; id: string; name: string };
  reason: string;
  locked_at: Date;
}

export interface StoredPolicy extends RoutingPolicy {
  created_by: unknown;
  created_at: Date;
}
