/**
 * The controller as an automation client sees it: its public REST API and an API token, nothing else
 * (no database, no internals). Every answer the façade gives comes from what these calls return.
 */
export interface ReceiverConnection {
  receiver_id: string;
  sender_id: string | null;
  master_enable: boolean;
  source: string;
}

export interface RegistryStatus {
  name: string;
  state: string;
  sync: { complete: boolean };
}

interface Listed {
  id: string;
  resource: Record<string, unknown>;
}

export class ControllerApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

const LIST_LIMIT = 1000;

export class ControllerApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Ids of every resource of a type the controller shows, following its cursor through every page. */
  async ids(type: 'senders' | 'receivers'): Promise<Set<string>> {
    const ids = new Set<string>();
    let cursor: string | null = null;
    do {
      const query: string = `/api/nmos/${type}?limit=${LIST_LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const { body, headers } = await this.call<Listed[]>('GET', query);
      for (const item of body) ids.add(item.id);
      cursor = headers.get('x-next-cursor');
    } while (cursor);
    return ids;
  }

  /** One IS-04 resource as the merged view holds it, or null when the controller does not show it. */
  async resource(type: 'senders' | 'receivers' | 'devices', id: string): Promise<Record<string, unknown> | null> {
    const answer = await this.call<Listed>('GET', `/api/nmos/${type}/${encodeURIComponent(id)}`, undefined, [404]);
    return answer.status === 404 ? null : answer.body.resource;
  }

  /** What the controller shows a receiver taking (verified /active, the IS-04 subscription, or the device check). */
  async connection(receiverId: string): Promise<ReceiverConnection | null> {
    const answer = await this.call<ReceiverConnection>('GET', `/api/connections/${encodeURIComponent(receiverId)}`, undefined, [404]);
    return answer.status === 404 ? null : answer.body;
  }

  async take(receiverId: string, senderId: string): Promise<void> {
    await this.call('POST', '/api/connections', { receiver_id: receiverId, sender_id: senderId });
  }

  async disconnect(receiverId: string): Promise<void> {
    await this.call('DELETE', `/api/connections/${encodeURIComponent(receiverId)}`);
  }

  async registries(): Promise<RegistryStatus[]> {
    return (await this.call<RegistryStatus[]>('GET', '/api/registry/status')).body;
  }

  private async call<T>(method: string, path: string, body?: unknown, accept: number[] = []): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok && !accept.includes(res.status)) throw new ControllerApiError(res.status, text, `${method} ${path}`);
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
  }
}
