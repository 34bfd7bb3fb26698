import type { FieldChanges } from './flow-audit.entity.js';
import { EDITABLE_FIELDS, type Flow, type FlowFields } from './flow.entity.js';

/** A flow as the API answers it: every column, times as ISO strings, and GO-NMOS's one-leg names for the A leg. */
export type FlowView = Omit<Flow, 'created_at' | 'updated_at' | 'deleted_at' | 'sdp_fetched_at'> & {
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  sdp_fetched_at: string | null;
  multicast_ip: string | null;
  source_ip: string | null;
  port: number | null;
};

export function flowView(flow: Flow): FlowView {
  return {
    ...flow,
    created_at: flow.created_at.toISOString(),
    updated_at: flow.updated_at.toISOString(),
    deleted_at: flow.deleted_at?.toISOString() ?? null,
    sdp_fetched_at: flow.sdp_fetched_at?.toISOString() ?? null,
    multicast_ip: flow.multicast_addr_a,
    source_ip: flow.source_addr_a,
    port: flow.group_port_a,
  };
}

/** A flow in an export: its row id, what an operator writes, and its lock; what an import takes back unchanged. */
export type ExportedFlow = { id: string } & FlowFields & { locked: boolean; locked_reason: string | null };

export function exportedFlow(flow: Flow): ExportedFlow {
  const fields = Object.fromEntries(EDITABLE_FIELDS.map((field) => [field, flow[field]])) as FlowFields;
  return { id: flow.id, ...fields, locked: flow.locked, locked_reason: flow.locked_reason };
}

/** The fields whose value differs, before and after. */
export function fieldDiff(before: Partial<Flow>, after: Partial<Flow>, fields: readonly (keyof Flow)[]): FieldChanges {
  const diff: FieldChanges = {};
  for (const field of fields) {
    const from = before[field] ?? null;
    const to = after[field] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) diff[field] = { from, to };
  }
  return diff;
}
