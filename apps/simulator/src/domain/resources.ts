/** IS-04 resource types, in the order the Query API lists them and registration requires them. */
export const RESOURCE_TYPES = ['nodes', 'devices', 'sources', 'flows', 'senders', 'receivers'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** The singular `type` of the Registration API for each list. */
export const SINGULAR: Record<ResourceType, string> = {
  nodes: 'node',
  devices: 'device',
  sources: 'source',
  flows: 'flow',
  senders: 'sender',
  receivers: 'receiver',
};

/** An IS-04 resource as JSON: every one has an id and a version. */
export interface Resource {
  id: string;
  version: string;
  [key: string]: unknown;
}

export type MediaKind = 'video' | 'audio' | 'data';
