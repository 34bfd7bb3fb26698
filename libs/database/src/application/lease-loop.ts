import type { LeaseService } from './lease.service.js';

/**
 * "Run this on one replica": runs `body` while this replica holds the lease `name`, started when it is
 * acquired, awaited when it is lost or the application stops. `body` must return soon after `holding()`
 * turns false or `stopped` aborts (which happens when the lease is lost or the loop stopped): loops test
 * `holding()`, waits take `stopped` (`sleep(ms, stopped)`, `untilAborted(stopped)`). Every singleton job
 * (event relay, registry watchers, scheduler, active check, auth maintenance, alerts) runs through it.
 */
export class LeaseLoop {
  private running = false;
  private abort?: AbortController;
  private loop?: Promise<void>;

  constructor(
    private readonly leases: LeaseService,
    private readonly name: string,
    private readonly body: (holding: () => boolean, stopped: AbortSignal) => Promise<void>,
  ) {}

  start(): void {
    this.leases.participate(this.name, {
      acquired: () => {
        this.running = true;
        this.abort = new AbortController();
        this.loop = this.body(() => this.running && this.leases.isHeld(this.name), this.abort.signal);
      },
      lost: () => this.stop(),
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort?.abort();
    await this.loop;
  }
}
