import type { ApiClient } from './api-client.js';

export interface WriteOutcome {
  username: string;
  status: number;
  retryAfter: string | null;
  at: number;
}

/**
 * Parallel loops of acknowledged writes (user creation) through the API, recording every answer, so a
 * test can check afterwards that each 2xx is in the database and everything else was an honest 503.
 */
export class WriteLoop {
  readonly outcomes: WriteOutcome[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private seq = 0;

  constructor(
    private readonly admin: ApiClient,
    private readonly prefix: string,
    private readonly parallel = 3,
  ) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.parallel }, () => this.loop());
  }

  async stop(): Promise<WriteOutcome[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.outcomes;
  }

  succeededSince(at: number): number {
    return this.outcomes.filter((o) => o.at >= at && o.status === 201).length;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const username = `${this.prefix}-${this.seq++}`;
      let status: number;
      let retryAfter: string | null = null;
      try {
        const res = await this.admin.post('/api/users', { username, password: 'password-123', role: 'viewer' });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
      } catch {
        status = 0; // no answer at all: must never happen, the API stays up
      }
      this.outcomes.push({ username, status, retryAfter, at: Date.now() });
      if (status !== 201) await new Promise((r) => setTimeout(r, 50));
    }
  }
}
