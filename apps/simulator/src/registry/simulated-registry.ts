import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import type { NmosSchemas } from '../domain/nmos-schemas.js';
import { RESOURCE_TYPES, SINGULAR, type Resource, type ResourceType } from '../domain/resources.js';
import { json, listing, nmosError, readJson, segmentsOf, SwitchableServer, type Reachability } from '../http/http-kit.js';
import { QueryApi } from './query-api.js';
import { RegistryStore } from './registry-store.js';
import { Subscriptions } from './subscriptions.js';

export interface RegistryOptions {
  index: number;
  port: number;
  id: string;
  pagingLimit: number;
  wsBatchSize: number;
  /** The most `paging.limit` in subscription params may ask for per message; 0 refuses that param. */
  wsMaxBatchSize: number;
  websockets: boolean;
  /** paging.limit as a string accepted, messages unpaced (see FacilityOptions.wsLenient). */
  wsLenient: boolean;
  /** A node that stops heartbeating is removed this long after its last heartbeat (real registries: 12 s). */
  heartbeatExpiryMs: number;
  subscriptionExpiryMs: number;
  latencyMs: () => number;
}

const SINGULAR_TO_TYPE = Object.fromEntries(RESOURCE_TYPES.map((t) => [SINGULAR[t], t])) as Record<string, ResourceType>;

/**
 * One IS-04 v1.3 registry: Query API (HTTP and websockets) and Registration API on one port, with
 * faults: unreachable (refusing or hanging), websockets gone silent, restarted empty.
 */
export class SimulatedRegistry {
  readonly store: RegistryStore;
  readonly subscriptions: Subscriptions;
  private readonly http: SwitchableServer;
  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false });
  private readonly expiryTimer: NodeJS.Timeout;
  private readonly queryApi: QueryApi;

  private constructor(
    readonly options: RegistryOptions,
    private readonly schemas: NmosSchemas,
  ) {
    this.store = new RegistryStore(options.heartbeatExpiryMs);
    this.subscriptions = new Subscriptions(
      this.store,
      schemas,
      () => `ws://127.0.0.1:${this.port}/x-nmos/query/v1.3`,
      { batchSize: options.wsBatchSize, maxBatchSize: options.wsMaxBatchSize, expiryMs: options.subscriptionExpiryMs, lenient: options.wsLenient },
      options.id,
    );
    this.queryApi = new QueryApi(this.store, this.subscriptions, { pagingLimit: options.pagingLimit, websockets: options.websockets }, () => this.queryUrl);
    this.http = new SwitchableServer((req, res, url) => this.route(req, res, url), options.latencyMs);
    this.http.server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
    this.expiryTimer = setInterval(() => this.store.expire(), 1000);
    this.expiryTimer.unref();
  }

  static async start(options: RegistryOptions, schemas: NmosSchemas): Promise<SimulatedRegistry> {
    const registry = new SimulatedRegistry(options, schemas);
    await registry.http.listen(options.port);
    return registry;
  }

  get port(): number {
    return this.options.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get queryUrl(): string {
    return `${this.url}/x-nmos/query/v1.3`;
  }

  get registrationUrl(): string {
    return `${this.url}/x-nmos/registration/v1.3`;
  }

  get reachable(): boolean {
    return this.http.reachability === 'up';
  }

  get reachability(): Reachability {
    return this.http.reachability;
  }

  /** Fault: unreachable (connections refused, or accepted and never answered), or back up. */
  async setReachability(state: Reachability): Promise<void> {
    if (state !== 'up') this.subscriptions.closeAll();
    await this.http.setReachability(state);
  }

  /** Fault: the open websockets stay open but carry nothing, not even pongs (new connections work). */
  setWebsocketsSilent(silent: boolean): void {
    this.subscriptions.silenceOpenSockets(silent);
  }

  /** Fault: the registry process restarts and comes back empty; nodes register again as their heartbeats fail. */
  restart(): void {
    this.subscriptions.closeAll();
    this.store.clear();
  }

  // In-process registration for the facility's own nodes (the Registration API below serves others).
  register(type: ResourceType, resource: Resource): boolean {
    if (!this.reachable) return false;
    this.store.upsert(type, resource);
    return true;
  }

  heartbeat(nodeId: string): 'ok' | 'unknown' | 'unreachable' {
    if (!this.reachable) return 'unreachable';
    return this.store.heartbeat(nodeId) ? 'ok' : 'unknown';
  }

  unregister(type: ResourceType, id: string): void {
    if (this.reachable) this.store.remove(type, id);
  }

  async stop(): Promise<void> {
    clearInterval(this.expiryTimer);
    this.subscriptions.stop();
    this.wss.close();
    await this.http.close();
  }

  private async route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const segments = segmentsOf(url);
    if (segments.length === 0) return listing(response, ['x-nmos/']);
    if (segments[0] !== 'x-nmos') return nmosError(response, 404, 'Not Found', `no such path ${url.pathname}`);
    if (segments.length === 1) return listing(response, ['query/', 'registration/']);
    const [, api, version, ...rest] = segments;
    if (version === undefined) return api === 'query' || api === 'registration' ? listing(response, ['v1.3/']) : nmosError(response, 404, 'Not Found');
    if (version !== 'v1.3') return nmosError(response, 404, 'Not Found', `only v1.3 is served, not ${version}`);
    if (api === 'query') return this.queryApi.handle(request, response, url, rest);
    if (api === 'registration') return this.registrationApi(request, response, rest);
    return nmosError(response, 404, 'Not Found');
  }

  /** The IS-04 Registration API, for nodes outside this process. */
  private async registrationApi(request: IncomingMessage, response: ServerResponse, rest: string[]): Promise<void> {
    const method = request.method ?? 'GET';
    if (rest.length === 0) return listing(response, ['resource/', 'health/']);
    if (rest[0] === 'resource' && rest.length === 1 && method === 'POST') {
      const body = await readJson(request);
      const problems = this.schemas.problems('is-04', 'registrationapi-resource-post-request.json', body);
      if (problems.length > 0) return nmosError(response, 400, 'Bad Request', problems.join('; '));
      const { type, data } = body as { type: string; data: Resource };
      const result = this.store.upsert(SINGULAR_TO_TYPE[type], data);
      return json(response, result === 'created' ? 201 : 200, data, { location: `${this.registrationUrl}/resource/${SINGULAR_TO_TYPE[type]}/${data.id}` });
    }
    if (rest[0] === 'resource' && rest.length === 3) {
      const type = rest[1] as ResourceType;
      if (!(RESOURCE_TYPES as readonly string[]).includes(type)) return nmosError(response, 404, 'Not Found');
      if (method === 'GET') {
        const found = this.store.get(type, rest[2]);
        return found ? json(response, 200, found.resource) : nmosError(response, 404, 'Not Found');
      }
      if (method === 'DELETE') {
        if (!this.store.remove(type, rest[2])) return nmosError(response, 404, 'Not Found');
        response.writeHead(204).end();
        return;
      }
    }
    if (rest[0] === 'health' && rest[1] === 'nodes' && rest.length === 3) {
      if (method === 'POST' && this.store.heartbeat(rest[2])) return json(response, 200, { health: String(Math.floor(Date.now() / 1000)) });
      return nmosError(response, 404, 'Not Found', `node ${rest[2]} is not registered`);
    }
    return nmosError(response, 404, 'Not Found');
  }

  private upgrade(request: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void {
    const match = /^\/x-nmos\/query\/v1\.3\/subscriptions\/([0-9a-f-]+)\/?$/.exec(new URL(request.url ?? '/', 'http://x').pathname);
    if (!this.reachable || !this.options.websockets || !match || !this.subscriptions.get(match[1])) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.subscriptions.attach(match[1], ws));
  }
}
