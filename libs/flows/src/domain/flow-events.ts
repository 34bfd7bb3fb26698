import type { NewEvent } from '#events';
import type { FieldChanges } from './flow-audit.entity.js';
import type { StoredActor } from './flow.entity.js';
import type { FlowView } from './flow-view.js';
import { eventActor } from '#common';

export type FlowEventKind = 'created' | 'updated' | 'deleted';

/**
 * GO-NMOS's flow event `{event, flow_id, flow, diff?}` (the envelope adds id, seq, type, timestamp and
 * actor), twice: on `flow/<flow_id>`, retained as the flow's current state (a deletion clears it once
 * published), and on `all`, the stream of every flow change.
 */
export function flowEvents(kind: FlowEventKind, flow: FlowView, actor: StoredActor, diff?: FieldChanges): NewEvent[] {
  const payload = { event: kind, flow_id: flow.flow_id, flow, ...(diff ? { diff } : {}) };
  const base = {
    type: `flow.${kind}`,
    subject: { kind: 'flow', id: flow.flow_id },
    payload,
    actor: eventActor(actor),
  };
  return [
    { ...base, topic: `flow/${flow.flow_id}`, retained: kind !== 'deleted', clearsRetained: kind === 'deleted' },
    { ...base, topic: 'all', retained: false },
  ];
}
