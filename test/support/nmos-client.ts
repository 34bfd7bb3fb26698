import WebSocket from 'ws';

export interface HttpAnswer {
  status: number;
  body: any;
  headers: Headers;
  text: string;
}

/** Plain HTTP against the simulator's NMOS APIs (no auth, JSON or SDP). */
export async function http(method: string, url: string, body?: unknown, timeoutMs = 5_000): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // SDP or other text
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

/** A websocket that collects every message it receives. */
export class GrainSocket {
  readonly messages: any[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString())));
  }

  static open(url: string): Promise<GrainSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const client = new GrainSocket(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  /** Every event of every grain received so far. */
  events(): Array<{ path: string; pre?: any; post?: any }> {
    return this.messages.flatMap((m) => m.grain.data);
  }

  close(): void {
    this.socket.terminate();
  }
}
