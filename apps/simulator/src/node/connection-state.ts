import type { EventSenderModel, NodeModel, ReceiverModel, SenderModel } from '../domain/facility-model.js';
import type { NmosSchemas } from '../domain/nmos-schemas.js';
import { parseSdpLegs, senderSdp } from '../domain/sdp.js';
import { formatTai, msUntilTai, parseTai, taiNowNanos } from '../domain/tai.js';

export type Side = 'senders' | 'receivers';
type Params = Record<string, unknown>;

export interface ActivationState {
  mode: null | 'activate_immediate' | 'activate_scheduled_absolute' | 'activate_scheduled_relative';
  requested_time: string | null;
  activation_time: string | null;
}

export interface EndpointState {
  [key: string]: unknown;
  master_enable: boolean;
  activation: ActivationState;
  transport_params: Params[];
}

interface Endpoint {
  side: Side;
  id: string;
  legCount: number;
  constraints: Params[];
  staged: EndpointState;
  active: EndpointState;
  pending?: { timer: NodeJS.Timeout; at: bigint };
  /** Sender only: the label and kind its SDP is written with (none for an IS-07 sender over MQTT). */
  sdpSource?: { label: string; kind: 'video' | 'audio' | 'data'; sessionId: number };
  transportType: 'urn:x-nmos:transport:rtp' | 'urn:x-nmos:transport:mqtt';
}

export interface ConnectionAnswer {
  status: number;
  body: unknown;
}

/** What a node does after an activation: bump the IS-04 resource and tell its registries. */
export type ActivationListener = (side: Side, id: string, active: EndpointState) => void;

const NULL_ACTIVATION: ActivationState = { mode: null, requested_time: null, activation_time: null };

/**
 * One node's IS-05 v1.1 Connection API behaviour: staged and active parameters per sender and receiver,
 * PATCH rules (partial updates, leg count, constraints, transport files), immediate and scheduled
 * activations (423 while one is pending, cancelled with `mode: null`), bulk. HTTP lives elsewhere.
 */
export class ConnectionState {
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(
    model: NodeModel,
    private readonly schemas: NmosSchemas,
    private readonly onActivated: ActivationListener,
    /** Where IS-07 senders publish (`mqtt://host:port`); none: they are not configured yet (null host). */
    eventsBrokerUrl?: string,
  ) {
    for (const sender of model.senders) this.addSender(sender);
    for (const sender of model.eventSenders) this.addEventSender(sender, eventsBrokerUrl);
    for (const receiver of model.receivers) this.addReceiver(receiver);
  }

  /** IS-05's MQTT sender parameters: the broker it publishes to and its two topics. */
  addEventSender(sender: EventSenderModel, brokerUrl: string | undefined): void {
    const broker = brokerUrl ? new URL(brokerUrl) : undefined;
    const params = {
      destination_host: broker?.hostname ?? null,
      destination_port: broker ? Number(broker.port || 1883) : 'auto',
      broker_protocol: broker?.protocol === 'mqtts:' ? 'secure-mqtt' : 'mqtt',
      broker_authorization: false,
      broker_topic: sender.topic,
      connection_status_broker_topic: sender.statusTopic,
    };
    const state = (): EndpointState => ({
      receiver_id: null,
      master_enable: broker !== undefined,
      activation: { ...NULL_ACTIVATION },
      transport_params: [{ ...params }],
    });
    this.endpoints.set(key('senders', sender.resource.id), {
      side: 'senders',
      id: sender.resource.id,
      legCount: 1,
      constraints: [
        {
          destination_host: {},
          destination_port: {},
          broker_protocol: {},
          broker_authorization: {},
          broker_topic: {},
          connection_status_broker_topic: {},
        },
      ],
      staged: state(),
      active: state(),
      transportType: 'urn:x-nmos:transport:mqtt',
    });
  }

  transportType(side: Side, id: string): string | undefined {
    return this.endpoints.get(key(side, id))?.transportType;
  }

  addSender(sender: SenderModel): void {
    const params = sender.legs.map((leg) => ({
      source_ip: leg.sourceIp,
      destination_ip: leg.destinationIp,
      source_port: 5004,
      destination_port: leg.destinationPort,
      rtp_enabled: true,
    }));
    const state = (): EndpointState => ({
      receiver_id: null,
      master_enable: true,
      activation: { ...NULL_ACTIVATION },
      transport_params: params.map((p) => ({ ...p })),
    });
    this.endpoints.set(key('senders', sender.resource.id), {
      side: 'senders',
      id: sender.resource.id,
      legCount: sender.legs.length,
      constraints: sender.legs.map((leg) => ({
        source_ip: { enum: [leg.sourceIp] },
        destination_ip: {},
        source_port: {},
        destination_port: {},
        rtp_enabled: {},
      })),
      staged: state(),
      active: state(),
      sdpSource: { label: sender.resource.label as string, kind: sender.kind, sessionId: Number.parseInt(sender.resource.id.slice(0, 7), 16) },
      transportType: 'urn:x-nmos:transport:rtp',
    });
  }

  addReceiver(receiver: ReceiverModel): void {
    const state = (): EndpointState => ({
      sender_id: null,
      master_enable: false,
      activation: { ...NULL_ACTIVATION },
      transport_file: { data: null, type: null },
      transport_params: receiver.interfaceIps.map(() => ({
        source_ip: null,
        multicast_ip: null,
        interface_ip: 'auto',
        destination_port: 'auto',
        rtp_enabled: true,
      })),
    });
    this.endpoints.set(key('receivers', receiver.resource.id), {
      side: 'receivers',
      id: receiver.resource.id,
      legCount: receiver.legCount,
      constraints: receiver.interfaceIps.map((ip) => ({
        source_ip: {},
        multicast_ip: {},
        interface_ip: { enum: [ip] },
        destination_port: {},
        rtp_enabled: {},
      })),
      staged: state(),
      active: state(),
      transportType: 'urn:x-nmos:transport:rtp',
    });
  }

  remove(side: Side, id: string): void {
    const endpoint = this.endpoints.get(key(side, id));
    if (endpoint?.pending) clearTimeout(endpoint.pending.timer);
    this.endpoints.delete(key(side, id));
  }

  ids(side: Side): string[] {
    return [...this.endpoints.values()].filter((e) => e.side === side).map((e) => e.id);
  }

  has(side: Side, id: string): boolean {
    return this.endpoints.has(key(side, id));
  }

  constraints(side: Side, id: string): Params[] | undefined {
    return this.endpoints.get(key(side, id))?.constraints;
  }

  staged(side: Side, id: string): EndpointState | undefined {
    return this.endpoints.get(key(side, id))?.staged;
  }

  active(side: Side, id: string): EndpointState | undefined {
    return this.endpoints.get(key(side, id))?.active;
  }

  /** The sender's SDP as its active parameters make it. */
  transportFile(id: string): string | undefined {
    const endpoint = this.endpoints.get(key('senders', id));
    if (!endpoint?.sdpSource) return undefined;
    const legs = endpoint.active.transport_params.map((p) => ({
      sourceIp: String(p.source_ip),
      destinationIp: String(p.destination_ip),
      destinationPort: Number(p.destination_port),
    }));
    return senderSdp(endpoint.sdpSource.label, endpoint.sdpSource.sessionId, endpoint.sdpSource.kind, legs);
  }

  /** PATCH /single/{side}/{id}/staged. */
  patch(side: Side, id: string, body: unknown): ConnectionAnswer {
    const endpoint = this.endpoints.get(key(side, id));
    if (!endpoint) return error(404, 'Not Found', `no ${side.slice(0, -1)} ${id}`);
    const problems = this.schemas.problems('is-05', side === 'receivers' ? 'receiver-stage-schema.json' : 'sender-stage-schema.json', body);
    if (problems.length > 0) return error(400, 'Bad Request', `patch error - ${problems.join('; ')}`);
    const patch = body as Params;
    const activation = patch.activation as Partial<ActivationState> | undefined;
    const cancels = activation !== undefined && activation.mode === null;
    if (endpoint.pending && !cancels) return error(423, 'Locked', 'a scheduled activation is pending; cancel it with activation.mode null first');

    const staged = structuredClone(endpoint.staged);
    for (const field of ['sender_id', 'receiver_id', 'master_enable'] as const) {
      if (field in patch) staged[field] = patch[field] as never;
    }
    if (side === 'receivers' && patch.transport_file !== undefined) {
      const file = patch.transport_file as { data?: string | null; type?: string | null };
      staged.transport_file = { data: file.data ?? null, type: file.type ?? null };
      if (file.data && file.type === 'application/sdp') {
        parseSdpLegs(file.data)
          .slice(0, endpoint.legCount)
          .forEach((leg, index) => {
            Object.assign(staged.transport_params[index], {
              multicast_ip: leg.destinationIp ?? null,
              source_ip: leg.sourceIp ?? null,
              destination_port: leg.destinationPort ?? 'auto',
            });
          });
      }
    }
    if (patch.transport_params !== undefined) {
      const legs = patch.transport_params as Params[];
      if (legs.length !== endpoint.legCount) return error(400, 'Bad Request', 'patch error - inconsistent array size');
      legs.forEach((leg, index) => Object.assign(staged.transport_params[index], leg));
    }
    const violation = constraintViolation(endpoint.constraints, staged.transport_params);
    if (violation) return error(400, 'Bad Request', `patch error - ${violation}`);

    if (cancels) {
      if (endpoint.pending) clearTimeout(endpoint.pending.timer);
      endpoint.pending = undefined;
      staged.activation = { ...NULL_ACTIVATION };
      endpoint.staged = staged;
      return { status: 200, body: staged };
    }
    if (!activation?.mode) {
      endpoint.staged = staged;
      return { status: 200, body: staged };
    }
    if (activation.mode === 'activate_immediate') {
      endpoint.staged = staged;
      const time = formatTai(taiNowNanos());
      this.activate(endpoint, { mode: 'activate_immediate', requested_time: null, activation_time: time });
      return { status: 200, body: { ...staged, activation: { mode: 'activate_immediate', requested_time: null, activation_time: time } } };
    }
    const requested = typeof activation.requested_time === 'string' ? parseTai(activation.requested_time) : undefined;
    if (requested === undefined) return error(400, 'Bad Request', 'patch error - a scheduled activation needs requested_time (seconds:nanoseconds)');
    const at = activation.mode === 'activate_scheduled_absolute' ? requested : taiNowNanos() + requested;
    const scheduled: ActivationState = { mode: activation.mode, requested_time: activation.requested_time!, activation_time: formatTai(at) };
    staged.activation = scheduled;
    endpoint.staged = staged;
    const fire = () => {
      // Timers may wake a little early: an activation never happens before its time.
      const remaining = msUntilTai(at);
      if (remaining > 0) {
        endpoint.pending = { at, timer: setTimeout(fire, Math.ceil(remaining)).unref() };
        return;
      }
      endpoint.pending = undefined;
      this.activate(endpoint, scheduled);
    };
    endpoint.pending = { at, timer: setTimeout(fire, Math.max(0, msUntilTai(at))).unref() };
    return { status: 202, body: staged };
  }

  /** POST /bulk/{side}: each item as a single PATCH, with per-item codes. */
  bulk(side: Side, body: unknown): ConnectionAnswer {
    const problems = this.schemas.problems('is-05', side === 'receivers' ? 'bulk-receiver-post-schema.json' : 'bulk-sender-post-schema.json', body);
    if (problems.length > 0) return error(400, 'Bad Request', problems.join('; '));
    const results = (body as Array<{ id: string; params: unknown }>).map(({ id, params }) => {
      const answer = this.patch(side, id, params);
      if (answer.status < 300) return { id, code: answer.status };
      const failure = answer.body as { error: string; debug: string | null };
      return { id, code: answer.status, error: failure.error, debug: failure.debug };
    });
    return { status: 200, body: results };
  }

  /** Someone else's connection (another controller, a panel): staged and activated at once on the device. */
  connectElsewhere(receiverId: string, sender: { id: string; sdp: string } | null): boolean {
    const endpoint = this.endpoints.get(key('receivers', receiverId));
    if (!endpoint) return false;
    const answer = this.patch('receivers', receiverId, {
      sender_id: sender?.id ?? null,
      master_enable: sender !== null,
      activation: { mode: 'activate_immediate' },
      ...(sender ? { transport_file: { data: sender.sdp, type: 'application/sdp' } } : {}),
    });
    return answer.status === 200;
  }

  stop(): void {
    for (const endpoint of this.endpoints.values()) if (endpoint.pending) clearTimeout(endpoint.pending.timer);
  }

  private activate(endpoint: Endpoint, activation: ActivationState): void {
    const active = structuredClone(endpoint.staged);
    active.activation = activation;
    active.transport_params = active.transport_params.map((leg, index) => resolveAuto(endpoint, leg, index));
    endpoint.active = active;
    endpoint.staged = { ...endpoint.staged, activation: { ...NULL_ACTIVATION } };
    this.onActivated(endpoint.side, endpoint.id, active);
  }
}

function key(side: Side, id: string): string {
  return `${side}/${id}`;
}

function error(code: number, text: string, debug: string): ConnectionAnswer {
  return { status: code, body: { code, error: text, debug } };
}

/** A value must be one the constraints allow ('auto' and null are always allowed). */
function constraintViolation(constraints: Params[], legs: Params[]): string | undefined {
  for (const [index, leg] of legs.entries()) {
    for (const [field, constraint] of Object.entries(constraints[index] ?? {})) {
      const allowed = (constraint as { enum?: unknown[] }).enum;
      const value = leg[field];
      if (allowed && value !== 'auto' && value !== null && value !== undefined && !allowed.includes(value)) {
        return `transport_params[${index}].${field} must be one of ${allowed.join(', ')}`;
      }
    }
  }
  return undefined;
}

/** What the device actually uses for 'auto': its own interface address and the default port. */
function resolveAuto(endpoint: Endpoint, leg: Params, index: number): Params {
  const resolved = { ...leg };
  if (endpoint.transportType === 'urn:x-nmos:transport:mqtt') {
    // An MQTT sender resolves what it can itself: the protocol's port, plain MQTT, no authorization.
    const own: Params = { destination_port: resolved.broker_protocol === 'secure-mqtt' ? 8883 : 1883, broker_protocol: 'mqtt', broker_authorization: false };
    for (const [field, value] of Object.entries(resolved)) if (value === 'auto' && field in own) resolved[field] = own[field];
    return resolved;
  }
  // A receiver's interface_ip and a sender's source_ip are constrained to the device's own address.
  const constraint = (endpoint.constraints[index].interface_ip ?? endpoint.constraints[index].source_ip) as { enum: string[] };
  const ownIp = constraint.enum[0];
  for (const [field, value] of Object.entries(resolved)) {
    if (value !== 'auto') continue;
    resolved[field] = field.endsWith('_port') ? 5004 : ownIp;
  }
  return resolved;
}
