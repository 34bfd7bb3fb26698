import { Agent, request } from 'node:https';

export interface HttpsAnswer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** The load's client through nginx's TLS (a self-signed CA), keeping connections alive as a real client would. */
export class HttpsClient {
  private readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    ca: string,
    private readonly token?: string,
    agent?: Agent,
  ) {
    this.agent = agent ?? new Agent({ ca, keepAlive: true, maxSockets: 64 });
  }

  as(token: string): HttpsClient {
    return new HttpsClient(this.baseUrl, '', token, this.agent);
  }

  async loginAs(username: string, password: string): Promise<HttpsClient> {
    const res = await this.send('POST', '/api/login', { username, password });
    if (res.status !== 200) throw new Error(`login as ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return this.as(res.body.token);
  }

  /** Resolves with any HTTP answer; rejects only when there is none (reset, refused, timeout). */
  send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<HttpsAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.baseUrl),
        {
          method,
          agent: this.agent,
          timeout: timeoutMs,
          headers: {
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
