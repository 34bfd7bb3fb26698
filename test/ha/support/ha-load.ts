import { randomUUID } from 'node:crypto';
import type { HttpsClient } from './https-client.js';

export type RequestKind = 'read' | 'write' | 'take';

export interface RequestRecord {
  kind: RequestKind;
  at: number;
  status: number; // 0: no answer (reset, refused, timeout)
  error?: string;
}

export interface WriteRecord {
  username: string;
  status: number;
  at: number;
}

/** One take as the client sees it: one Idempotency-Key, retried until the controller answers for it. */
export interface TakeRecord {
  key: string;
  receiverId: string;
  senderId: string;
  attempts: number;
  status: number;
  startedAt: number;
  doneAt: number;
}

export interface TakeLane {
  receiverId: string;
  /** Two senders the receiver alternates between, so every take changes what the device does. */
  senders: [string, string];
}

/** Answers after which an automation client retries with the same Idempotency-Key (and any that carries Retry-After). */
const RETRIED = new Set([0, 502, 503, 504]);
const TAKE_RETRY_BUDGET_MS = 90_000;

/**
 * The bounded load the HA suite keeps running through nginx while it kills things: reads, user
 * creations (plain POSTs, never retried: what the client got is what counts), and takes with an
 * Idempotency-Key retried on 502/503/504/no answer, one lane per receiver so that each receiver's
 * device log can be matched to the keys in order.
 */
export class HaLoad {
  readonly requests: RequestRecord[] = [];
  readonly writes: WriteRecord[] = [];
  readonly takes: TakeRecord[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private written = 0;

  constructor(
    private readonly admin: HttpsClient,
    private readonly prefix: string,
    private readonly lanes: TakeLane[],
  ) {}

  start(): void {
    this.running = true;
    this.loops = [this.readLoop(), this.readLoop(), this.writeLoop(), this.writeLoop(), ...this.lanes.map((lane) => this.takeLoop(lane))];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async readLoop(): Promise<void> {
    const paths = ['/api/nmos/senders?limit=20', '/api/connections', '/api/me', '/api/registry/status'];
    for (let i = 0; this.running; i++) {
      await this.record('read', () => this.admin.send('GET', paths[i % paths.length]));
      await pause(40);
    }
  }

  private async writeLoop(): Promise<void> {
    while (this.running) {
      const username = `${this.prefix}-${this.written++}`;
      const status = await this.record('write', () => this.admin.send('POST', '/api/users', { username, password: 'password-123', role: 'viewer' }));
      this.writes.push({ username, status, at: Date.now() });
      await pause(status === 201 ? 40 : 150);
    }
  }

  private async takeLoop(lane: TakeLane): Promise<void> {
    for (let n = 0; this.running; n++) {
      const take: TakeRecord = {
        key: randomUUID(),
        receiverId: lane.receiverId,
        senderId: lane.senders[n % 2],
        attempts: 0,
        status: 0,
        startedAt: Date.now(),
        doneAt: 0,
      };
      this.takes.push(take);
      // A take once begun is seen through even when the load is stopping: its key must end somewhere.
      for (;;) {
        take.attempts++;
        let retryAfter = false;
        take.status = await this.record('take', async () => {
          const answer = await this.admin.send(
            'POST',
            '/api/connections',
            { receiver_id: take.receiverId, sender_id: take.senderId },
            { 'idempotency-key': take.key },
          );
          retryAfter = answer.headers['retry-after'] !== undefined;
          return answer;
        });
        if (!(RETRIED.has(take.status) || retryAfter) || Date.now() - take.startedAt > TAKE_RETRY_BUDGET_MS) break;
        await pause(250);
      }
      take.doneAt = Date.now();
      await pause(100);
    }
  }

  private async record(kind: RequestKind, send: () => Promise<{ status: number }>): Promise<number> {
    const at = Date.now();
    try {
      const { status } = await send();
      this.requests.push({ kind, at, status });
      return status;
    } catch (err) {
      this.requests.push({ kind, at, status: 0, error: (err as Error).message });
      return 0;
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
