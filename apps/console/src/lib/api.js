/**
 * The controller's API from the browser: same origin (through the same address and nginx as any
 * client), the bearer token kept in sessionStorage (gone with the tab), every error in the API's shape.
 */
const TOKEN = 'nmos-control.token';
const listeners = new Set();

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN);
  },
  set(token) {
    if (token) sessionStorage.setItem(TOKEN, token);
    else sessionStorage.removeItem(TOKEN);
    for (const listener of listeners) listener(token);
  },
  /** Called with the new token (null: logged out, or the token expired). */
  onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error ?? String(status);
    this.body = body ?? {};
    this.retryAfter = retryAfter;
  }
}

/** JSON in, JSON out; 401 ends the session (the login page comes back). */
export async function api(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(session.token ? { authorization: `Bearer ${session.token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (response.status === 401 && path !== '/api/login') session.set(null);
  if (!response.ok) throw new ApiError(response.status, parsed, Number(response.headers.get('retry-after') ?? 0) || undefined);
  return { body: parsed, headers: response.headers };
}

/** Every page of a merged-view list (`/api/nmos/<type>`), following X-Next-Cursor. */
export async function allResources(type) {
  const items = [];
  let cursor;
  do {
    const { body, headers } = await api('GET', `/api/nmos/${type}?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...body.map((entry) => entry.resource));
    cursor = headers.get('x-next-cursor') ?? undefined;
  } while (cursor);
  return items;
}

/**
 * A write that must not happen twice: one Idempotency-Key for all its attempts, retried while the
 * controller answers 503 (a database failover) with its Retry-After; `onRetry` says so on screen.
 */
export async function idempotent(method, path, body, onRetry, headers = {}, attempts = 5) {
  const key = crypto.randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return await api(method, path, body, { ...headers, 'idempotency-key': key });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 503 || attempt >= attempts) throw err;
      onRetry?.(err, attempt);
      await new Promise((resolve) => setTimeout(resolve, (err.retryAfter ?? 1) * 1000));
    }
  }
}

/** What an operator should read for a failed request: the product's own message, with the device's answer or who holds a lock. */
export function explain(err) {
  if (!(err instanceof ApiError)) return String(err?.message ?? err);
  const parts = [`${err.code}: ${err.message}`];
  if (err.body.device) parts.push(`device answered: ${JSON.stringify(err.body.device).slice(0, 300)}`);
  if (err.status === 503) parts.push('the controller is failing over: retrying');
  return parts.join(' — ');
}
