import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildNode, type NodeModel, type NodeShape } from '../domain/facility-model.js';
import type { NmosSchemas } from '../domain/nmos-schemas.js';
import { RESOURCE_TYPES, type Resource, type ResourceType } from '../domain/resources.js';
import { taiNow } from '../domain/tai.js';
import { json, listing, nmosError, readJson, segmentsOf, SwitchableServer, text } from '../http/http-kit.js';
import type { SimulatedRegistry } from '../registry/simulated-registry.js';
import { ConnectionState, type EndpointState, type Side } from './connection-state.js';
import { EventPublisher } from './event-publisher.js';

/** The node's shape (what it has) and how it behaves (where it registers, how often it heartbeats). */
export interface NodeOptions extends NodeShape {
  registries: SimulatedRegistry[];
  heartbeatIntervalMs: number;
  latencyMs: () => number;
  /** The MQTT broker its IS-07 senders publish to; without one they stay unconfigured. */
  eventsBrokerUrl?: string;
}

export interface RequestRecord {
  at: string;
  method: string;
  path: string;
  body?: unknown;
}

/** 500: every request to the receiver fails; timeout: none is answered; reject: reads work, changes are refused (500). */
export type ReceiverFault = '500' | 'timeout' | 'reject';

const NODE_API_TYPES = ['self', 'devices', 'sources', 'flows', 'senders', 'receivers'];
const ENDPOINT_ROUTES = {
  senders: ['constraints/', 'staged/', 'active/', 'transportfile/', 'transporttype/'],
  receivers: ['constraints/', 'staged/', 'active/', 'transporttype/'],
};

/**
 * One simulated device: IS-04 v1.3 Node API and IS-05 v1.1 Connection API on its own port, registered in
 * its registries with heartbeats, with faults on demand. Every request it receives is logged, so tests
 * can see exactly what a controller sent.
 */
export class SimulatedNode {
  readonly model: NodeModel;
  readonly connection: ConnectionState;
  readonly requests: RequestRecord[] = [];
  readonly faults = { heartbeats: true, receivers: new Map<string, ReceiverFault>(), bulkRefusal: null as number | null };
  private readonly http: SwitchableServer;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly hanging = new Set<ServerResponse>();
  private lastSenderIndex: number;
  /** Each IS-07 sender's MQTT side, by sender id (when the node has a broker). */
  readonly eventPublishers = new Map<string, EventPublisher>();

  private constructor(
    readonly options: NodeOptions,
    schemas: NmosSchemas,
  ) {
    this.model = buildNode(options, taiNow);
    this.lastSenderIndex = options.senders - 1;
    this.connection = new ConnectionState(this.model, schemas, (side, id, active) => this.activated(side, id, active), options.eventsBrokerUrl);
    this.http = new SwitchableServer((req, res, url) => this.route(req, res, url), options.latencyMs);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  static async start(options: NodeOptions, schemas: NmosSchemas): Promise<SimulatedNode> {
    const node = new SimulatedNode(options, schemas);
    await node.http.listen(options.port);
    if (options.eventsBrokerUrl) {
      for (const sender of node.model.eventSenders) {
        const publisher = new EventPublisher(sender, options.eventsBrokerUrl);
        await publisher.start();
        node.eventPublishers.set(sender.resource.id, publisher);
      }
    }
    for (const registry of options.registries) node.registerIn(registry);
    return node;
  }

  get id(): string {
    return this.model.node.id;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get nodeApiUrl(): string {
    return `${this.url}/x-nmos/node/v1.3`;
  }

  get connectionApiUrl(): string {
    return `${this.url}/x-nmos/connection/v1.1`;
  }

  /** Every IS-04 resource of this node, in registration order. */
  resources(): Array<[ResourceType, Resource]> {
    return [
      ['nodes', this.model.node],
      ['devices', this.model.device],
      ...[...this.model.senders, ...this.model.eventSenders].map((s) => ['sources', s.source] as [ResourceType, Resource]),
      ...[...this.model.senders, ...this.model.eventSenders].map((s) => ['flows', s.flow] as [ResourceType, Resource]),
      ...[...this.model.senders, ...this.model.eventSenders].map((s) => ['senders', s.resource] as [ResourceType, Resource]),
      ...this.model.receivers.map((r) => ['receivers', r.resource] as [ResourceType, Resource]),
    ];
  }

  /** A sender added at run time (the facility changes while the controller watches). */
  addSender(): Resource {
    // Indices only grow, so a sender added after a removal never takes an existing sender's id.
    const extra = buildNode({ ...this.options, senders: ++this.lastSenderIndex + 1, receivers: 0 }, taiNow).senders.at(-1)!;
    this.model.senders.push(extra);
    this.connection.addSender(extra);
    this.model.device.senders = [...this.model.senders, ...this.model.eventSenders].map((s) => s.resource.id);
    this.publish('sources', extra.source);
    this.publish('flows', extra.flow);
    this.publish('senders', extra.resource);
    this.bump('devices', this.model.device);
    return extra.resource;
  }

  removeSender(id: string): boolean {
    const index = this.model.senders.findIndex((s) => s.resource.id === id);
    if (index < 0) return false;
    const [removed] = this.model.senders.splice(index, 1);
    this.connection.remove('senders', id);
    for (const registry of this.options.registries) {
      registry.unregister('senders', removed.resource.id);
      registry.unregister('flows', removed.flow.id);
      registry.unregister('sources', removed.source.id);
    }
    this.model.device.senders = [...this.model.senders, ...this.model.eventSenders].map((s) => s.resource.id);
    this.bump('devices', this.model.device);
    return true;
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.connection.stop();
    for (const publisher of this.eventPublishers.values()) await publisher.stop();
    for (const response of this.hanging) response.destroy();
    await this.http.close();
  }

  private registerIn(registry: SimulatedRegistry): void {
    for (const [type, resource] of this.resources()) registry.register(type, resource);
  }

  /** Every 5 s as nmos-cpp does; a registry that no longer knows the node (restarted, or expired it) gets everything again. */
  private heartbeat(): void {
    if (!this.faults.heartbeats) return;
    for (const registry of this.options.registries) {
      if (registry.heartbeat(this.id) === 'unknown') this.registerIn(registry);
    }
  }

  private activated(side: Side, id: string, active: EndpointState): void {
    const model =
      side === 'receivers'
        ? this.model.receivers.find((r) => r.resource.id === id)?.resource
        : [...this.model.senders, ...this.model.eventSenders].find((s) => s.resource.id === id)?.resource;
    if (!model) return;
    model.subscription =
      side === 'receivers'
        ? { sender_id: active.master_enable ? (active.sender_id ?? null) : null, active: active.master_enable }
        : { receiver_id: active.master_enable ? (active.receiver_id ?? null) : null, active: active.master_enable };
    this.bump(side, model);
  }

  private bump(type: ResourceType, resource: Resource): void {
    resource.version = taiNow();
    this.publish(type, resource);
  }

  private publish(type: ResourceType, resource: Resource): void {
    for (const registry of this.options.registries) registry.register(type, resource);
  }

  private async route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    let body: unknown;
    try {
      body = method === 'GET' || method === 'HEAD' ? undefined : await readJson(request);
    } finally {
      this.log(method, url.pathname, body);
    }
    const segments = segmentsOf(url);
    if (segments.length === 0) return listing(response, ['x-nmos/', 'x-manifest/']);
    if (segments[0] === 'x-manifest') return this.manifest(response, segments);
    if (segments[0] !== 'x-nmos') return nmosError(response, 404, 'Not Found');
    if (segments.length === 1) return listing(response, ['node/', 'connection/']);
    const [, api, version, ...rest] = segments;
    if (api === 'node') {
      if (version === undefined) return listing(response, ['v1.3/']);
      if (version !== 'v1.3') return nmosError(response, 404, 'Not Found', `only v1.3 is served`);
      if (method !== 'GET') return nmosError(response, 405, 'Method Not Allowed');
      return this.nodeApi(response, rest);
    }
    if (api === 'connection') {
      if (version === undefined) return listing(response, ['v1.1/']);
      if (version !== 'v1.1') return nmosError(response, 404, 'Not Found', `only v1.1 is served`);
      return this.connectionApi(response, method, rest, body);
    }
    return nmosError(response, 404, 'Not Found');
  }

  private nodeApi(response: ServerResponse, rest: string[]): void {
    const [collection, id, extra] = rest;
    if (collection === undefined)
      return listing(
        response,
        NODE_API_TYPES.map((t) => `${t}/`),
      );
    if (collection === 'self' && id === undefined) return json(response, 200, this.model.node);
    if (!RESOURCE_TYPES.includes(collection as ResourceType) || collection === 'nodes' || extra !== undefined) return nmosError(response, 404, 'Not Found');
    const all = this.resources()
      .filter(([type]) => type === collection)
      .map(([, resource]) => resource);
    if (id === undefined) return json(response, 200, all);
    const found = all.find((r) => r.id === id);
    return found ? json(response, 200, found) : nmosError(response, 404, 'Not Found', `no such resource ${id}`);
  }

  private connectionApi(response: ServerResponse, method: string, rest: string[], body: unknown): void {
    const [mode, sideText, id, endpoint, extra] = rest;
    if (mode === undefined) return listing(response, ['bulk/', 'single/']);
    if (sideText === undefined)
      return mode === 'bulk' || mode === 'single' ? listing(response, ['senders/', 'receivers/']) : nmosError(response, 404, 'Not Found');
    if (sideText !== 'senders' && sideText !== 'receivers') return nmosError(response, 404, 'Not Found');
    const side: Side = sideText;
    if (mode === 'bulk') {
      if (id !== undefined) return nmosError(response, 404, 'Not Found');
      if (this.faults.bulkRefusal) return nmosError(response, this.faults.bulkRefusal, 'Bulk refused', 'this device does not support bulk (simulated)');
      if (method !== 'POST') return nmosError(response, 405, 'Method Not Allowed');
      if (side === 'receivers' && Array.isArray(body)) {
        const failing = (body as Array<{ id?: string }>).map((item) => item.id && this.faults.receivers.get(item.id)).find(Boolean);
        if (failing === 'timeout') return this.hang(response);
      }
      // A faulted receiver's item fails and is not applied; the others are, as a device would.
      const faulted = (itemId: unknown) => typeof itemId === 'string' && ['500', 'reject'].includes(this.faults.receivers.get(itemId) ?? '');
      const items = Array.isArray(body) ? (body as Array<{ id?: unknown }>) : [];
      const answer = this.connection.bulk(side, Array.isArray(body) ? items.filter((item) => !faulted(item.id)) : body);
      if (Array.isArray(answer.body)) {
        const applied = answer.body as Array<{ id: string; code: number }>;
        answer.body = items.map((item) =>
          faulted(item.id)
            ? { id: item.id, code: 500, error: 'Internal Server Error', debug: 'simulated device fault' }
            : applied.find((a) => a.id === item.id),
        );
      }
      return json(response, answer.status, answer.body);
    }
    if (mode !== 'single') return nmosError(response, 404, 'Not Found');
    if (id === undefined)
      return listing(
        response,
        this.connection.ids(side).map((i) => `${i}/`),
      );
    if (!this.connection.has(side, id) || extra !== undefined) return nmosError(response, 404, 'Not Found', `no ${side.slice(0, -1)} ${id}`);
    const fault = side === 'receivers' ? this.faults.receivers.get(id) : undefined;
    if (fault === 'timeout') return this.hang(response);
    if (fault === '500') return nmosError(response, 500, 'Internal Server Error', 'simulated device fault');
    if (endpoint === undefined) return listing(response, ENDPOINT_ROUTES[side]);
    switch (endpoint) {
      case 'constraints':
        return method === 'GET' ? json(response, 200, this.connection.constraints(side, id)) : nmosError(response, 405, 'Method Not Allowed');
      case 'active':
        return method === 'GET' ? json(response, 200, this.connection.active(side, id)) : nmosError(response, 405, 'Method Not Allowed');
      case 'transporttype':
        return method === 'GET' ? json(response, 200, this.connection.transportType(side, id)) : nmosError(response, 405, 'Method Not Allowed');
      case 'transportfile':
        // IS-05: an MQTT sender has no transport file (404).
        if (side !== 'senders' || !this.connection.transportFile(id)) return nmosError(response, 404, 'Not Found');
        return method === 'GET' ? text(response, 200, this.connection.transportFile(id)!, 'application/sdp') : nmosError(response, 405, 'Method Not Allowed');
      case 'staged': {
        if (method === 'GET') return json(response, 200, this.connection.staged(side, id));
        if (method !== 'PATCH') return nmosError(response, 405, 'Method Not Allowed');
        if (fault === 'reject') return nmosError(response, 500, 'Internal Server Error', 'simulated device fault: changes refused');
        const answer = this.connection.patch(side, id, body);
        return json(response, answer.status, answer.body);
      }
      default:
        return nmosError(response, 404, 'Not Found');
    }
  }

  private manifest(response: ServerResponse, segments: string[]): void {
    const [, collection, id, file] = segments;
    if (collection !== 'senders' || file !== 'manifest' || !id || !this.connection.has('senders', id)) return nmosError(response, 404, 'Not Found');
    text(response, 200, this.connection.transportFile(id)!, 'application/sdp');
  }

  /** Fault: the device takes the request and never answers (until it is stopped). */
  private hang(response: ServerResponse): void {
    this.hanging.add(response);
    response.on('close', () => this.hanging.delete(response));
  }

  private log(method: string, path: string, body: unknown): void {
    if (this.requests.length >= 10_000) this.requests.shift();
    this.requests.push({ at: new Date().toISOString(), method, path, ...(body === undefined ? {} : { body }) });
  }
}
