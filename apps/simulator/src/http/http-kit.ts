import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void> | void;

/** The NMOS error body (IS-04/IS-05 error.json): `{code, error, debug}`. */
export function nmosError(response: ServerResponse, code: number, error: string, debug: string | null = null): void {
  json(response, code, { code, error, debug });
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

export function text(response: ServerResponse, status: number, body: string, contentType: string): void {
  response.writeHead(status, { 'content-type': contentType, 'access-control-allow-origin': '*', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

export class BadJson extends Error {}

/** The request body as JSON (undefined when empty); BadJson when it does not parse. */
export async function readJson(request: IncomingMessage, limit = 1_048_576): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BadJson('body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadJson('body is not valid JSON');
  }
}

export type Reachability = 'up' | 'refuse' | 'hang';

/**
 * An HTTP server whose reachability can be switched, for faults: `refuse` stops listening (connection
 * refused), `hang` accepts connections and never answers. Latency can be added to every answer.
 */
export class SwitchableServer {
  readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private state: Reachability = 'up';
  /** Where to listen again after `refuse` closed the server. */
  private lastPort = 0;

  constructor(
    handler: Handler,
    private readonly latencyMs: () => number = () => 0,
  ) {
    this.server = createServer((request, response) => void this.serve(handler, request, response));
    this.server.keepAliveTimeout = 5_000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get reachability(): Reachability {
    return this.state;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  async setReachability(state: Reachability): Promise<void> {
    const port = this.port || this.lastPort;
    if (state === this.state) return;
    if (this.state === 'refuse') await this.listen(port);
    if (state === 'refuse' || state === 'hang') this.dropConnections();
    if (state === 'refuse') {
      this.lastPort = port;
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
    this.state = state;
  }

  async close(): Promise<void> {
    this.dropConnections();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private async serve(handler: Handler, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.state === 'hang') return; // accepted, never answered
    const latency = this.latencyMs();
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    try {
      await handler(request, response, url);
    } catch (err) {
      if (err instanceof BadJson) return nmosError(response, 400, 'Bad Request', err.message);
      if (!response.headersSent) nmosError(response, 500, 'Internal Server Error', (err as Error).message);
    }
  }
}

/** Lists as NMOS APIs serve them: path segments with a trailing slash. */
export function listing(response: ServerResponse, entries: string[]): void {
  json(response, 200, entries);
}

/** Splits a path into segments, ignoring a trailing slash (NMOS accepts both forms). */
export function segmentsOf(url: URL): string[] {
  return url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
}
