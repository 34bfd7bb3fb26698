import { Injectable } from '@nestjs/common';

/** Set on SIGTERM: readiness turns 503 first so load balancers stop sending before we stop serving. */
@Injectable()
export class ReadinessState {
  private drainingSince?: Date;
  private readonly onDraining = new Set<() => void>();

  startDraining(): void {
    if (this.drainingSince) return;
    this.drainingSince = new Date();
    for (const listener of this.onDraining) listener();
  }

  /** Runs `listener` when draining starts (long-lived answers end then, so the drain is not held up); answers how to stop. */
  whenDraining(listener: () => void): () => void {
    if (this.draining) listener();
    this.onDraining.add(listener);
    return () => this.onDraining.delete(listener);
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }
}
