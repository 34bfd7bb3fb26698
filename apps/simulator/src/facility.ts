import { createServer } from 'node:net';
import { deterministicFraction, deterministicId } from './domain/ids.js';
import { NmosSchemas } from './domain/nmos-schemas.js';
import { AdminServer } from './admin/admin-server.js';
import { SimulatedNode } from './node/simulated-node.js';
import { SimulatedRegistry } from './registry/simulated-registry.js';

export interface FacilityOptions {
  /** Ids and the media mix follow from the seed: the same seed builds the same facility. */
  seed: string;
  registries: number;
  nodes: number;
  /** Senders per node (each with its own source and flow). */
  senders: number;
  /** Receivers per node. */
  receivers: number;
  /** Share (0-1) of senders and receivers with two legs (ST 2022-7). */
  redundantShare: number;
  /** Share (0-1) of nodes registered in two registries instead of one. */
  multiRegistryShare: number;
  /** Share (0-1) of video receivers that take 2160p50 only: their BCP-004 constraint sets refuse every simulated (HD) flow. */
  uhdShare: number;
  /** Registries from here, then the admin API, then nodes; 0 picks free ports. */
  basePort: number;
  pagingLimit: number;
  wsBatchSize: number;
  /** `paging.limit` in subscription params may raise the grains per message up to this; 0 refuses it (400). */
  wsMaxBatchSize: number;
  websockets: boolean;
  /**
   * Registries accept `paging.limit` in subscription params as a string too, and send websocket messages
   * as fast as they can. Off (the default), they behave as nmos-cpp's: a number only (a string gets
   * 400 "not a number"), and one message per `max_update_rate_ms`.
   */
  wsLenient: boolean;
  heartbeatIntervalMs: number;
  heartbeatExpiryMs: number;
  subscriptionExpiryMs: number;
  latencyMs: number;
  /** Every node answers bulk requests with this code (404, 405, 501), or serves bulk (null). */
  bulkRefusal: number | null;
  /** IS-07 event senders (boolean tallies over MQTT) per node. */
  eventSenders: number;
  /** The MQTT broker (`mqtt://host:port`) IS-07 senders publish to; null: they stay unconfigured. */
  eventsBroker: string | null;
}

export const DEFAULT_FACILITY: FacilityOptions = {
  seed: 'nmos-control',
  registries: 2,
  nodes: 4,
  senders: 4,
  receivers: 4,
  redundantShare: 0.25,
  multiRegistryShare: 0.5,
  uhdShare: 0,
  basePort: 0,
  pagingLimit: 10,
  wsBatchSize: 10,
  // nmos-cpp caps grains per message at 100.
  wsMaxBatchSize: 100,
  websockets: true,
  wsLenient: false,
  heartbeatIntervalMs: 5_000,
  heartbeatExpiryMs: 12_000,
  subscriptionExpiryMs: 10_000,
  latencyMs: 0,
  bulkRefusal: null,
  eventSenders: 0,
  eventsBroker: null,
};

export interface FacilityManifest {
  seed: string;
  admin_url: string;
  registries: Array<{ index: number; query_url: string; registration_url: string; websockets: boolean }>;
  nodes: Array<{
    id: string;
    label: string;
    node_api_url: string;
    connection_api_url: string;
    registries: number[];
    senders: number;
    event_senders: number;
    receivers: number;
  }>;
}

/** A virtual plant in one process: IS-04 registries, IS-05 nodes, and an admin API for faults. */
export class Facility {
  private admin?: AdminServer;

  private constructor(
    readonly options: FacilityOptions,
    readonly registries: SimulatedRegistry[],
    readonly nodes: SimulatedNode[],
    /** Shared with every server: latency added to each answer (a fault). */
    private readonly settings: { latencyMs: number },
  ) {}

  static async start(overrides: Partial<FacilityOptions> = {}): Promise<Facility> {
    const options = { ...DEFAULT_FACILITY, ...overrides };
    validate(options);
    const schemas = new NmosSchemas();
    const port = portPlan(options);
    const settings = { latencyMs: options.latencyMs };
    const latencyMs = () => settings.latencyMs;
    const registries: SimulatedRegistry[] = [];
    const nodes: SimulatedNode[] = [];
    try {
      for (let index = 0; index < options.registries; index++) {
        registries.push(
          await SimulatedRegistry.start(
            {
              index,
              port: await port.registry(index),
              id: deterministicId(options.seed, 'registry', index),
              pagingLimit: options.pagingLimit,
              wsBatchSize: options.wsBatchSize,
              wsMaxBatchSize: options.wsMaxBatchSize,
              websockets: options.websockets,
              wsLenient: options.wsLenient,
              heartbeatExpiryMs: options.heartbeatExpiryMs,
              subscriptionExpiryMs: options.subscriptionExpiryMs,
              latencyMs,
            },
            schemas,
          ),
        );
      }
      for (let index = 0; index < options.nodes; index++) {
        const home = index % options.registries;
        const twice = options.registries > 1 && deterministicFraction(options.seed, 'multi-registry', index) < options.multiRegistryShare;
        nodes.push(
          await SimulatedNode.start(
            {
              seed: options.seed,
              index,
              port: await port.node(index),
              senders: options.senders,
              receivers: options.receivers,
              redundantShare: options.redundantShare,
              uhdShare: options.uhdShare,
              eventSenders: options.eventSenders,
              eventsBrokerUrl: options.eventsBroker ?? undefined,
              registries: twice ? [registries[home], registries[(home + 1) % options.registries]] : [registries[home]],
              heartbeatIntervalMs: options.heartbeatIntervalMs,
              latencyMs,
            },
            schemas,
          ),
        );
      }
      for (const node of nodes) node.faults.bulkRefusal = options.bulkRefusal;
      const facility = new Facility(options, registries, nodes, settings);
      facility.admin = await AdminServer.start(facility, await port.admin());
      return facility;
    } catch (err) {
      await Promise.all([...nodes.map((n) => n.stop()), ...registries.map((r) => r.stop())]);
      throw err;
    }
  }

  get adminUrl(): string {
    return this.admin!.url;
  }

  get latencyMs(): number {
    return this.settings.latencyMs;
  }

  set latencyMs(ms: number) {
    this.settings.latencyMs = ms;
  }

  node(id: string): SimulatedNode | undefined {
    return this.nodes.find((n) => n.id === id);
  }

  /** The node that owns a sender or receiver. */
  ownerOf(resourceId: string): SimulatedNode | undefined {
    return this.nodes.find(
      (n) =>
        n.model.senders.some((s) => s.resource.id === resourceId) ||
        n.model.eventSenders.some((s) => s.resource.id === resourceId) ||
        n.model.receivers.some((r) => r.resource.id === resourceId),
    );
  }

  manifest(): FacilityManifest {
    return {
      seed: this.options.seed,
      admin_url: this.adminUrl,
      registries: this.registries.map((r) => ({
        index: r.options.index,
        query_url: r.queryUrl,
        registration_url: r.registrationUrl,
        websockets: r.options.websockets,
      })),
      nodes: this.nodes.map((n) => ({
        id: n.id,
        label: n.model.node.label as string,
        node_api_url: n.nodeApiUrl,
        connection_api_url: n.connectionApiUrl,
        registries: n.options.registries.map((r) => r.options.index),
        senders: n.model.senders.length,
        event_senders: n.model.eventSenders.length,
        receivers: n.model.receivers.length,
      })),
    };
  }

  async stop(): Promise<void> {
    await this.admin?.stop();
    await Promise.all(this.nodes.map((n) => n.stop()));
    await Promise.all(this.registries.map((r) => r.stop()));
  }
}

function validate(options: FacilityOptions): void {
  const problems: string[] = [];
  const whole = (name: keyof FacilityOptions, min: number, max: number) => {
    const value = options[name] as number;
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be a whole number from ${min} to ${max}`);
  };
  whole('registries', 1, 50);
  whole('nodes', 0, 2000);
  whole('senders', 0, 500);
  whole('receivers', 0, 500);
  whole('basePort', 0, 65000);
  whole('pagingLimit', 1, 100000);
  whole('wsBatchSize', 1, 100000);
  whole('wsMaxBatchSize', 0, 100000);
  whole('heartbeatIntervalMs', 10, 600000);
  whole('heartbeatExpiryMs', 10, 600000);
  whole('subscriptionExpiryMs', 0, 3600000);
  whole('latencyMs', 0, 600000);
  whole('eventSenders', 0, 100);
  if (options.eventsBroker !== null && !/^mqtts?:\/\/[^/]+$/.test(options.eventsBroker))
    problems.push('eventsBroker must be mqtt://host:port or mqtts://host:port');
  if (options.bulkRefusal !== null && ![404, 405, 501].includes(options.bulkRefusal)) problems.push('bulkRefusal must be 404, 405, 501 or null');
  for (const share of ['redundantShare', 'multiRegistryShare', 'uhdShare'] as const) {
    if (!(options[share] >= 0 && options[share] <= 1)) problems.push(`${share} must be between 0 and 1`);
  }
  if (problems.length > 0) throw new Error(`Invalid facility: ${problems.join('; ')}`);
}

/** Fixed ports from a base (registries, admin, nodes), or free ones. */
function portPlan(options: FacilityOptions) {
  const fixed = (offset: number) => async () => options.basePort + offset;
  if (options.basePort > 0) {
    return { registry: (i: number) => fixed(i)(), admin: fixed(options.registries), node: (i: number) => fixed(options.registries + 1 + i)() };
  }
  return { registry: freePort, admin: freePort, node: freePort };
}

/** A free loopback port, chosen before the server starts because resources embed their own URLs. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
