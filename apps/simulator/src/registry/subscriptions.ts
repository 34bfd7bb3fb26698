import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { matchesBasicQuery } from '../domain/basic-query.js';
import type { NmosSchemas } from '../domain/nmos-schemas.js';
import type { Resource, ResourceType } from '../domain/resources.js';
import { taiNow } from '../domain/tai.js';
import type { RegistryStore, ResourceChange } from './registry-store.js';

export interface SubscriptionView {
  id: string;
  ws_href: string;
  max_update_rate_ms: number;
  persist: boolean;
  secure: boolean;
  resource_path: string;
  params: Record<string, string>;
}

interface Outbox {
  messages: string[];
  timer?: NodeJS.Timeout;
}

interface Subscription extends SubscriptionView {
  sockets: Set<WebSocket>;
  /** Per socket, the messages waiting for their turn (one per max_update_rate_ms). */
  outboxes: Map<WebSocket, Outbox>;
  /** Messages sent so far, for tests that count them. */
  sent: number;
  queue: Array<{ path: string; pre?: Resource; post?: Resource }>;
  flushTimer?: NodeJS.Timeout;
  expiryTimer?: NodeJS.Timeout;
}

export interface SubscriptionOptions {
  /** Grains per websocket message (nmos-cpp: 10), unless a subscription asks for more. */
  batchSize: number;
  /** The most a subscription's `paging.limit` param may raise that to; 0 refuses the param (400). */
  maxBatchSize: number;
  /** How long a non-persistent subscription outlives its last socket. */
  expiryMs: number;
  /** paging.limit as a string accepted, and messages sent unpaced; off: as nmos-cpp. */
  lenient: boolean;
}

/**
 * Query API subscriptions and their websocket grains: the sync snapshot first, then added, modified and
 * removed events (pre/post), batched per `max_update_rate_ms` and capped per message.
 */
export class Subscriptions {
  private readonly subscriptions = new Map<string, Subscription>();
  /** Fault: these sockets (open when it was set) carry no message and no pong, but stay open. */
  private readonly silenced = new Set<WebSocket>();

  constructor(
    private readonly store: RegistryStore,
    private readonly schemas: NmosSchemas,
    private readonly wsBase: () => string,
    private readonly options: SubscriptionOptions,
    private readonly sourceId: string,
  ) {
    store.onChange((change) => this.enqueue(change));
  }

  create(body: unknown): { status: number; body: unknown } {
    const problems = this.schemas.problems('is-04', 'queryapi-subscriptions-post-request.json', body);
    if (problems.length > 0) return { status: 400, body: { code: 400, error: 'Bad Request', debug: problems.join('; ') } };
    const request = body as { max_update_rate_ms?: number; persist: boolean; secure?: boolean; resource_path: string; params: Record<string, string> };
    const wanted = {
      max_update_rate_ms: request.max_update_rate_ms ?? 100,
      persist: request.persist,
      secure: request.secure ?? false,
      resource_path: request.resource_path,
      params: request.params,
    };
    if (wanted.secure) return { status: 400, body: { code: 400, error: 'Bad Request', debug: 'secure websockets are not offered by this registry' } };
    const pagingLimit: unknown = wanted.params['paging.limit'];
    if (pagingLimit !== undefined) {
      if (this.options.maxBatchSize === 0)
        return { status: 400, body: { code: 400, error: 'Bad Request', debug: 'paging.limit is not accepted in subscription params here' } };
      // nmos-cpp reads it as a JSON number only.
      const accepted = this.options.lenient ? /^[1-9]\d*$/.test(String(pagingLimit)) : Number.isInteger(pagingLimit) && (pagingLimit as number) > 0;
      if (!accepted) return { status: 400, body: { code: 400, error: 'Bad Request', debug: 'not a number' } };
    }
    const same = [...this.subscriptions.values()].find(
      (s) =>
        s.resource_path === wanted.resource_path &&
        s.persist === wanted.persist &&
        s.max_update_rate_ms === wanted.max_update_rate_ms &&
        JSON.stringify(s.params) === JSON.stringify(wanted.params),
    );
    if (same) return { status: 200, body: viewOf(same) };
    const id = randomUUID();
    const subscription: Subscription = {
      id,
      ws_href: `${this.wsBase()}/subscriptions/${id}`,
      ...wanted,
      sockets: new Set(),
      outboxes: new Map(),
      sent: 0,
      queue: [],
    };
    this.subscriptions.set(id, subscription);
    // A non-persistent subscription nobody connects to goes away like one whose sockets closed.
    if (!subscription.persist) this.scheduleExpiry(subscription);
    return { status: 201, body: viewOf(subscription) };
  }

  list(): SubscriptionView[] {
    return [...this.subscriptions.values()].map(viewOf);
  }

  get(id: string): SubscriptionView | undefined {
    const found = this.subscriptions.get(id);
    return found && viewOf(found);
  }

  /** 204, 404, or 403 for a non-persistent one (the registry manages those itself). */
  delete(id: string): number {
    const found = this.subscriptions.get(id);
    if (!found) return 404;
    if (!found.persist) return 403;
    this.drop(found);
    return 204;
  }

  attach(id: string, socket: WebSocket): boolean {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return false;
    clearTimeout(subscription.expiryTimer);
    subscription.sockets.add(socket);
    socket.on('ping', (data) => {
      if (!this.silenced.has(socket)) socket.pong(data);
    });
    socket.on('close', () => {
      subscription.sockets.delete(socket);
      clearTimeout(subscription.outboxes.get(socket)?.timer);
      subscription.outboxes.delete(socket);
      this.silenced.delete(socket);
      if (subscription.sockets.size === 0 && !subscription.persist) this.scheduleExpiry(subscription);
    });
    this.sendSync(subscription, socket);
    return true;
  }

  /** Websocket messages sent so far on the subscriptions to one resource type (tests count them). */
  messagesSent(type: ResourceType): number {
    return [...this.subscriptions.values()].filter((s) => this.typeOf(s) === type).reduce((n, s) => n + s.sent, 0);
  }

  /** Fault: every open websocket goes silent without closing (a stuck connection); new ones work. */
  silenceOpenSockets(silent: boolean): void {
    if (!silent) return this.silenced.clear();
    for (const subscription of this.subscriptions.values()) for (const socket of subscription.sockets) this.silenced.add(socket);
  }

  /** Closes every socket (a registry going down). */
  closeAll(): void {
    for (const subscription of this.subscriptions.values()) for (const socket of subscription.sockets) socket.terminate();
  }

  stop(): void {
    this.closeAll();
    for (const subscription of this.subscriptions.values()) {
      clearTimeout(subscription.flushTimer);
      clearTimeout(subscription.expiryTimer);
      for (const outbox of subscription.outboxes.values()) clearTimeout(outbox.timer);
    }
    this.subscriptions.clear();
  }

  private sendSync(subscription: Subscription, socket: WebSocket): void {
    const data = this.store
      .list(this.typeOf(subscription))
      .map((s) => s.resource)
      .filter((r) => matchesBasicQuery(r, queryOf(subscription)))
      .map((r) => ({ path: r.id, pre: r, post: r }));
    // Even an empty facility gets one sync grain, so the client knows its snapshot is complete.
    const batches = chunk(data, this.batchSizeOf(subscription));
    this.deliver(
      subscription,
      socket,
      (batches.length > 0 ? batches : [[]]).map((batch) => JSON.stringify(this.grain(subscription, batch))),
    );
  }

  /** Sends at once (lenient, or a rate of 0), else one message per max_update_rate_ms, in order. */
  private deliver(subscription: Subscription, socket: WebSocket, messages: string[]): void {
    if (this.options.lenient || subscription.max_update_rate_ms === 0) {
      for (const message of messages) this.sendOne(subscription, socket, message);
      return;
    }
    let outbox = subscription.outboxes.get(socket);
    if (!outbox) subscription.outboxes.set(socket, (outbox = { messages: [] }));
    outbox.messages.push(...messages);
    const pump = () => {
      const next = outbox.messages.shift();
      if (next === undefined) return void (outbox.timer = undefined);
      this.sendOne(subscription, socket, next);
      outbox.timer = setTimeout(pump, subscription.max_update_rate_ms);
    };
    if (!outbox.timer) pump();
  }

  private sendOne(subscription: Subscription, socket: WebSocket, message: string): void {
    if (this.silenced.has(socket)) return;
    socket.send(message);
    subscription.sent++;
  }

  private enqueue(change: ResourceChange): void {
    for (const subscription of this.subscriptions.values()) {
      if (this.typeOf(subscription) !== change.type) continue;
      const query = queryOf(subscription);
      const pre = change.pre && matchesBasicQuery(change.pre, query) ? change.pre : undefined;
      const post = change.post && matchesBasicQuery(change.post, query) ? change.post : undefined;
      if (!pre && !post) continue;
      subscription.queue.push({ path: change.id, ...(pre ? { pre } : {}), ...(post ? { post } : {}) });
      subscription.flushTimer ??= setTimeout(() => this.flush(subscription), subscription.max_update_rate_ms);
    }
  }

  private flush(subscription: Subscription): void {
    subscription.flushTimer = undefined;
    if (subscription.sockets.size === 0) {
      subscription.queue = [];
      return;
    }
    const events = subscription.queue;
    subscription.queue = [];
    const messages = chunk(events, this.batchSizeOf(subscription)).map((batch) => JSON.stringify(this.grain(subscription, batch)));
    for (const socket of subscription.sockets) this.deliver(subscription, socket, messages);
  }

  private grain(subscription: Subscription, data: unknown[]): unknown {
    const now = taiNow();
    return {
      grain_type: 'event',
      source_id: this.sourceId,
      flow_id: subscription.id,
      origin_timestamp: now,
      sync_timestamp: now,
      creation_timestamp: now,
      rate: { numerator: 0, denominator: 1 },
      duration: { numerator: 0, denominator: 1 },
      grain: { type: 'urn:x-nmos:format:data.event', topic: `${subscription.resource_path}/`, data },
    };
  }

  /** `paging.limit` in the params raises the grains per message (up to the registry's maximum). */
  private batchSizeOf(subscription: Subscription): number {
    const asked = subscription.params['paging.limit'];
    return asked === undefined ? this.options.batchSize : Math.min(Number(asked), this.options.maxBatchSize);
  }

  /** IS-04 v1.3 subscriptions are to one resource type (the schema's resource_path enum). */
  private typeOf(subscription: Subscription): ResourceType {
    return subscription.resource_path.slice(1) as ResourceType;
  }

  private scheduleExpiry(subscription: Subscription): void {
    clearTimeout(subscription.expiryTimer);
    subscription.expiryTimer = setTimeout(() => this.drop(subscription), this.options.expiryMs);
    subscription.expiryTimer.unref();
  }

  private drop(subscription: Subscription): void {
    clearTimeout(subscription.flushTimer);
    for (const outbox of subscription.outboxes.values()) clearTimeout(outbox.timer);
    clearTimeout(subscription.expiryTimer);
    for (const socket of subscription.sockets) socket.close();
    this.subscriptions.delete(subscription.id);
  }
}

/** The params that are basic queries (paging.* shapes the messages instead). */
function queryOf(subscription: Subscription): Array<[string, string]> {
  return Object.entries(subscription.params).filter(([key]) => !key.startsWith('paging.'));
}

function viewOf(s: Subscription): SubscriptionView {
  return {
    id: s.id,
    ws_href: s.ws_href,
    max_update_rate_ms: s.max_update_rate_ms,
    persist: s.persist,
    secure: s.secure,
    resource_path: s.resource_path,
    params: s.params,
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
