import { Injectable } from '@nestjs/common';

/** Set on SIGTERM: readiness turns 503 first so load balancers stop sending before we stop serving. */
@Injectable()
export class ReadinessState {
  private drainingSince?: Date;

  startDraining(): void {
    this.drainingSince ??= new Date();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }
}
