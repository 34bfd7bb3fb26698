import { deterministicFraction, deterministicId } from './ids.js';
import type { MediaKind, Resource } from './resources.js';
import { senderSdp, type SenderLeg } from './sdp.js';

export interface NodeShape {
  seed: string;
  index: number;
  port: number;
  senders: number;
  receivers: number;
  /** Share (0-1) of senders and receivers with two legs (ST 2022-7). */
  redundantShare: number;
  /** Share (0-1) of video receivers that take 2160p50 only (their constraint sets refuse the HD flows). */
  uhdShare?: number;
  /** IS-07 event senders (boolean, over MQTT) besides the media senders. */
  eventSenders?: number;
}

export interface SenderModel {
  resource: Resource;
  flow: Resource;
  source: Resource;
  kind: MediaKind;
  legs: SenderLeg[];
  sdp: string;
}

/**
 * An IS-07 sender over MQTT: a boolean source (a tally or GPI), its JSON flow, and the topics IS-07
 * recommends: `x-nmos/events/1.0/{source_id}/{event_type}` for state messages and
 * `x-nmos/events/1.0/{sender_id}/connection_status` for its connection status (and last will).
 */
export interface EventSenderModel {
  resource: Resource;
  flow: Resource;
  source: Resource;
  eventType: string;
  topic: string;
  statusTopic: string;
}

export interface ReceiverModel {
  resource: Resource;
  kind: MediaKind;
  legCount: number;
  interfaceIps: string[];
}

export interface NodeModel {
  node: Resource;
  device: Resource;
  senders: SenderModel[];
  eventSenders: EventSenderModel[];
  receivers: ReceiverModel[];
}

const FORMAT: Record<MediaKind, string> = { video: 'urn:x-nmos:format:video', audio: 'urn:x-nmos:format:audio', data: 'urn:x-nmos:format:data' };
const MEDIA_TYPE: Record<MediaKind, string> = { video: 'video/raw', audio: 'audio/L24', data: 'video/smpte291' };
const GROUP_HINT = 'urn:x-nmos:tag:grouphint/v1.0';

/** Media kinds in a plant's usual proportion: half video, a third audio, the rest ancillary data. */
function kindOf(fraction: number): MediaKind {
  return fraction < 0.5 ? 'video' : fraction < 0.84 ? 'audio' : 'data';
}

/** Interface addresses: documentation ranges (RFC 5737), one per leg. */
function interfaceIp(nodeIndex: number, leg: number): string {
  const base = leg === 0 ? '192.0.2' : '198.51.100';
  return `${base}.${(nodeIndex % 254) + 1}`;
}

/** A multicast group per sender leg, unique across the facility (232.0.0.0/8, source-specific). */
function multicastIp(nodeIndex: number, senderIndex: number, leg: number): string {
  const n = nodeIndex * 256 + senderIndex;
  return `232.${leg === 0 ? (n >> 16) & 0x7f : 128 + ((n >> 16) & 0x7f)}.${(n >> 8) & 0xff}.${n & 0xff}`;
}

/** One simulated node's IS-04 resources, the same for the same seed and index. */
export function buildNode(shape: NodeShape, version: () => string): NodeModel {
  const { seed, index, port } = shape;
  const href = `http://127.0.0.1:${port}/`;
  const nodeLabel = `sim-node-${String(index + 1).padStart(3, '0')}`;
  const nodeId = deterministicId(seed, 'node', index);
  const deviceId = deterministicId(seed, 'device', index);
  const common = (label: string, description: string) => ({ label, description, tags: {} as Record<string, string[]>, version: version() });

  const senders: SenderModel[] = Array.from({ length: shape.senders }, (_, s) => {
    const kind = kindOf(deterministicFraction(seed, 'sender-kind', index, s));
    const legCount = deterministicFraction(seed, 'sender-legs', index, s) < shape.redundantShare ? 2 : 1;
    const id = deterministicId(seed, 'sender', index, s);
    const sourceId = deterministicId(seed, 'source', index, s);
    const flowId = deterministicId(seed, 'flow', index, s);
    const label = `${nodeLabel}/sender/${kind}${s}`;
    const legs = Array.from({ length: legCount }, (_, leg) => ({
      sourceIp: interfaceIp(index, leg),
      destinationIp: multicastIp(index, s, leg),
      destinationPort: 5004,
    }));
    const source: Resource = {
      id: sourceId,
      ...common(`${nodeLabel}/source/${kind}${s}`, `source ${s}`),
      caps: {},
      device_id: deviceId,
      parents: [],
      clock_name: 'clk0',
      format: FORMAT[kind],
      grain_rate: { numerator: 25, denominator: 1 },
      ...(kind === 'audio'
        ? {
            channels: [
              { label: 'L', symbol: 'L' },
              { label: 'R', symbol: 'R' },
            ],
          }
        : {}),
    };
    const flow: Resource = {
      id: flowId,
      ...common(`${nodeLabel}/flow/${kind}${s}`, `flow ${s}`),
      source_id: sourceId,
      device_id: deviceId,
      parents: [],
      format: FORMAT[kind],
      media_type: MEDIA_TYPE[kind],
      grain_rate: { numerator: 25, denominator: 1 },
      ...flowDetails(kind),
    };
    const resource: Resource = {
      id,
      ...common(label, `sender ${s}`),
      tags: { [GROUP_HINT]: [`${nodeLabel}:${kind}${s}`] },
      flow_id: flowId,
      transport: 'urn:x-nmos:transport:rtp.mcast',
      device_id: deviceId,
      manifest_href: `${href}x-manifest/senders/${id}/manifest`,
      interface_bindings: legs.map((_, leg) => `eth${leg}`),
      subscription: { receiver_id: null, active: true },
    };
    return { resource, flow, source, kind, legs, sdp: senderSdp(label, 1000 + index * 1000 + s, kind, legs) };
  });

  const eventSenders: EventSenderModel[] = Array.from({ length: shape.eventSenders ?? 0 }, (_, e) => {
    const id = deterministicId(seed, 'event-sender', index, e);
    const sourceId = deterministicId(seed, 'event-source', index, e);
    const flowId = deterministicId(seed, 'event-flow', index, e);
    const eventType = 'boolean';
    const source: Resource = {
      id: sourceId,
      ...common(`${nodeLabel}/source/tally${e}`, `tally ${e}`),
      caps: {},
      device_id: deviceId,
      parents: [],
      clock_name: null,
      format: FORMAT.data,
      event_type: eventType,
    };
    const flow: Resource = {
      id: flowId,
      ...common(`${nodeLabel}/flow/tally${e}`, `tally flow ${e}`),
      source_id: sourceId,
      device_id: deviceId,
      parents: [],
      format: FORMAT.data,
      media_type: 'application/json',
      event_type: eventType,
    };
    const resource: Resource = {
      id,
      ...common(`${nodeLabel}/sender/tally${e}`, `IS-07 sender ${e}`),
      flow_id: flowId,
      transport: 'urn:x-nmos:transport:mqtt',
      device_id: deviceId,
      manifest_href: null,
      interface_bindings: ['eth0'],
      subscription: { receiver_id: null, active: true },
    };
    const topic = `x-nmos/events/1.0/${sourceId}/${eventType}`;
    return { resource, flow, source, eventType, topic, statusTopic: `x-nmos/events/1.0/${id}/connection_status` };
  });

  const receivers: ReceiverModel[] = Array.from({ length: shape.receivers }, (_, r) => {
    const kind = kindOf(deterministicFraction(seed, 'receiver-kind', index, r));
    const legCount = deterministicFraction(seed, 'receiver-legs', index, r) < shape.redundantShare ? 2 : 1;
    const interfaceIps = Array.from({ length: legCount }, (_, leg) => interfaceIp(index, leg));
    const resource: Resource = {
      id: deterministicId(seed, 'receiver', index, r),
      ...common(`${nodeLabel}/receiver/${kind}${r}`, `receiver ${r}`),
      tags: { [GROUP_HINT]: [`${nodeLabel}:${kind}${r}`] },
      device_id: deviceId,
      transport: 'urn:x-nmos:transport:rtp.mcast',
      interface_bindings: interfaceIps.map((_, leg) => `eth${leg}`),
      subscription: { sender_id: null, active: false },
      format: FORMAT[kind],
      caps: {
        media_types: [MEDIA_TYPE[kind]],
        constraint_sets: receiverConstraints(kind, kind === 'video' && deterministicFraction(seed, 'receiver-uhd', index, r) < (shape.uhdShare ?? 0)),
      },
    };
    return { resource, kind, legCount, interfaceIps };
  });

  const node: Resource = {
    id: nodeId,
    ...common(nodeLabel, `simulated node ${index + 1}`),
    href,
    hostname: `${nodeLabel}.sim.local`,
    api: { versions: ['v1.3'], endpoints: [{ host: '127.0.0.1', port, protocol: 'http', authorization: false }] },
    caps: {},
    services: [],
    clocks: [{ name: 'clk0', ref_type: 'ptp', traceable: true, version: 'IEEE1588-2008', gmid: '08-00-11-ff-fe-21-e1-b0', locked: true }],
    interfaces: [0, 1].map((leg) => ({ name: `eth${leg}`, chassis_id: chassisId(index), port_id: portId(index, leg) })),
  };
  const device: Resource = {
    id: deviceId,
    ...common(`${nodeLabel}/device`, `simulated device ${index + 1}`),
    type: 'urn:x-nmos:device:generic',
    node_id: nodeId,
    senders: [...senders, ...eventSenders].map((s) => s.resource.id),
    receivers: receivers.map((r) => r.resource.id),
    controls: [{ href: `http://127.0.0.1:${port}/x-nmos/connection/v1.1`, type: 'urn:x-nmos:control:sr-ctrl/v1.1', authorization: false }],
  };
  return { node, device, senders, eventSenders, receivers };
}

/**
 * BCP-004-01 constraint sets as nmos-cpp's receivers advertise them: the simulated flows satisfy them
 * (1080i25 4:2:2 video, 48 kHz 24-bit stereo audio, 25 Hz data), except a UHD-only receiver's.
 */
function receiverConstraints(kind: MediaKind, uhdOnly: boolean): Array<Record<string, unknown>> {
  const cap = (name: string, constraint: unknown) => [`urn:x-nmos:cap:${name}`, constraint];
  const rate = (numerator: number) => ({ enum: [{ numerator, denominator: 1 }] });
  switch (kind) {
    case 'video':
      return [
        Object.fromEntries(
          uhdOnly
            ? [
                cap('format:frame_width', { enum: [3840] }),
                cap('format:frame_height', { enum: [2160] }),
                cap('format:grain_rate', rate(50)),
                cap('format:interlace_mode', { enum: ['progressive'] }),
              ]
            : [
                cap('format:frame_width', { enum: [1920] }),
                cap('format:frame_height', { enum: [1080] }),
                cap('format:grain_rate', rate(25)),
                cap('format:interlace_mode', { enum: ['interlaced_tff', 'interlaced_bff', 'interlaced_psf'] }),
                cap('format:color_sampling', { enum: ['YCbCr-4:2:2'] }),
              ],
        ),
      ];
    case 'audio':
      return [
        Object.fromEntries([
          cap('format:sample_rate', { enum: [{ numerator: 48000, denominator: 1 }] }),
          cap('format:sample_depth', { enum: [16, 24] }),
          cap('format:channel_count', { minimum: 1, maximum: 8 }),
        ]),
      ];
    case 'data':
      return [Object.fromEntries([cap('format:grain_rate', rate(25))])];
  }
}

function flowDetails(kind: MediaKind): Record<string, unknown> {
  switch (kind) {
    case 'video':
      return {
        frame_width: 1920,
        frame_height: 1080,
        interlace_mode: 'interlaced_tff',
        colorspace: 'BT709',
        transfer_characteristic: 'SDR',
        components: [
          { name: 'Y', width: 1920, height: 1080, bit_depth: 10 },
          { name: 'Cb', width: 960, height: 1080, bit_depth: 10 },
          { name: 'Cr', width: 960, height: 1080, bit_depth: 10 },
        ],
      };
    case 'audio':
      return { sample_rate: { numerator: 48000, denominator: 1 }, bit_depth: 24 };
    case 'data':
      return { DID_SDID: [{ DID: '0x41', SDID: '0x01' }] };
  }
}

function chassisId(index: number): string {
  return `02-fc-00-00-${hex((index >> 8) & 0xff)}-${hex(index & 0xff)}`;
}

function portId(index: number, leg: number): string {
  return `02-fc-00-${hex(leg)}-${hex((index >> 8) & 0xff)}-${hex(index & 0xff)}`;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
