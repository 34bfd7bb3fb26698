import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedHook {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
}

/** A local webhook endpoint: records every POST, answers each path with the next status queued for it (else 200). */
export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  private readonly answers = new Map<string, number[]>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver;
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const path = req.url ?? '/';
        receiver.received.push({ path, headers: req.headers, raw, body: raw ? JSON.parse(raw) : undefined });
        const queued = receiver.answers.get(path);
        res.writeHead(queued?.shift() ?? 200).end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    return receiver;
  }

  /** The next answers for `path`, in order (then 200 again). */
  answer(path: string, ...statuses: number[]): void {
    this.answers.set(path, statuses);
  }

  at(path: string): ReceivedHook[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}
