import type { FlowFields } from './flow.entity.js';

type Resource = Record<string, unknown>;

/** The sender, its flow, device and node as the merged view has them (any may be missing). */
export interface SenderContext {
  sender: Resource;
  flow?: Resource;
  device?: Resource;
  node?: Resource;
}

/** What NMOS says about a flow, as inventory fields (the SDP's legs and format are added apart). */
export type NmosFields = Pick<
  FlowFields,
  | 'nmos_sender_id'
  | 'nmos_sender_label'
  | 'nmos_flow_id'
  | 'nmos_flow_label'
  | 'nmos_source_id'
  | 'nmos_device_id'
  | 'nmos_device_label'
  | 'nmos_node_id'
  | 'nmos_node_label'
  | 'is04_base_url'
  | 'is04_version'
  | 'is05_base_url'
  | 'is05_version'
  | 'sdp_url'
  | 'media_type'
>;

/** The fields `nmos/sync` keeps in step with NMOS; the operator's own (name, aliases, notes, status) are never touched. */
export const NMOS_SYNCED_FIELDS = [
  'nmos_sender_id',
  'nmos_sender_label',
  'nmos_flow_id',
  'nmos_flow_label',
  'nmos_source_id',
  'nmos_device_id',
  'nmos_device_label',
  'nmos_node_id',
  'nmos_node_label',
  'is04_base_url',
  'is04_version',
  'is05_base_url',
  'is05_version',
  'sdp_url',
  'sdp_cache',
  'media_type',
  'st2110_format',
  'format_summary',
  'transport_protocol',
  'multicast_addr_a',
  'group_port_a',
  'source_addr_a',
  'multicast_addr_b',
  'group_port_b',
  'source_addr_b',
] as const satisfies ReadonlyArray<keyof FlowFields>;

const CONNECTION_API = /^urn:x-nmos:control:sr-ctrl\/(v\d+\.\d+)$/;

export function nmosFields({ sender, flow, device, node }: SenderContext): NmosFields {
  const control = ((device?.controls ?? []) as Array<{ href?: string; type?: string }>)
    .map((c) => ({ href: c.href, version: CONNECTION_API.exec(c.type ?? '')?.[1] }))
    .filter((c): c is { href: string; version: string } => typeof c.href === 'string' && c.version !== undefined)
    .sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }))[0];
  const nodeVersions = (((node?.api as { versions?: unknown } | undefined)?.versions ?? []) as string[]).filter((v) => typeof v === 'string');
  const nodeVersion = [...nodeVersions].sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0];
  const nodeHref = typeof node?.href === 'string' ? node.href : undefined;
  return {
    nmos_sender_id: text(sender.id),
    nmos_sender_label: text(sender.label),
    nmos_flow_id: text(sender.flow_id),
    nmos_flow_label: text(flow?.label),
    nmos_source_id: text(flow?.source_id),
    nmos_device_id: text(sender.device_id),
    nmos_device_label: text(device?.label),
    nmos_node_id: text(device?.node_id),
    nmos_node_label: text(node?.label),
    is04_base_url: nodeHref && nodeVersion ? `${nodeHref.replace(/\/*$/, '/')}x-nmos/node/${nodeVersion}` : null,
    is04_version: nodeVersion ?? null,
    is05_base_url: control?.href.replace(/\/+$/, '') ?? null,
    is05_version: control?.version ?? null,
    sdp_url: text(sender.manifest_href),
    media_type: text(flow?.media_type),
  };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
