import type { LeaseService } from './lease.service.js';

/**
 * Runs `body` while this replica holds the lease `name`: started when it is acquired, awaited when it is
 * lost or the application stops. `body` must return soon after `holding()` turns false.
 */
export class LeaseLoop {
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly leases: LeaseService,
    private readonly name: string,
    private readonly body: (holding: () => boolean) => Promise<void>,
  ) {}

  start(): void {
    this.leases.participate(this.name, {
      acquired: () => {
        this.running = true;
        this.loop = this.body(() => this.running && this.leases.isHeld(this.name));
      },
      lost: () => this.stop(),
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
