import type { ActiveCondition } from '#health';
import { alertKey } from './notification.js';

export interface StoredAlert {
  key: string;
  alert: string;
  subject: string | null;
  severity: ActiveCondition['severity'];
  summary: string;
  started_at: string;
}

/**
 * Which alerts start and which end now. A condition fires once it has held `forMs` (tracked in
 * `pendingSince`, updated here); a firing alert resolves as soon as its condition no longer holds.
 */
export function transitions(
  holding: ActiveCondition[],
  firing: StoredAlert[],
  pendingSince: Map<string, number>,
  now: number,
  forMs: number,
): { fire: ActiveCondition[]; resolve: StoredAlert[] } {
  const byKey = new Map(holding.map((c) => [alertKey(c), c]));
  for (const key of [...pendingSince.keys()]) if (!byKey.has(key)) pendingSince.delete(key);
  for (const key of byKey.keys()) if (!pendingSince.has(key)) pendingSince.set(key, now);
  const firingKeys = new Set(firing.map((f) => f.key));
  const fire = [...byKey.entries()].filter(([key]) => !firingKeys.has(key) && now - pendingSince.get(key)! >= forMs).map(([, c]) => c);
  const resolve = firing.filter((f) => !byKey.has(f.key));
  return { fire, resolve };
}
