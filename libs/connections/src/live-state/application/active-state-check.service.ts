import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { mapLimit, sleep } from '#common';
import { AppConfig } from '#config';
import { DatabaseService, LeaseLoop, LeaseService } from '#database';
import { EventsService } from '#events';
import { receiverStateEvent } from '../domain/receiver-state.js';
import { ConnectionStateRepository } from '../infra/connection-state.repository.js';
import { DeviceGateway, TargetResolver } from '../../routing/index.js';
import { LiveStateService } from './live-state.service.js';

export const ACTIVE_CHECK_LEASE = 'receiver-active-check';

/** Receivers read at once: enough to cover a large facility in seconds without crowding any device. */
const CONCURRENCY = 16;

/**
 * A safety net under the registry: every ACTIVE_CHECK_INTERVAL (or, in a plant too big to read at
 * ACTIVE_CHECK_RATE within it, as often as that rate allows) the lease holder reads each receiver's
 * /active and, where the device shows another sender (or enable) than the live state, records what the
 * device does (`source: device`) with its event. A change made elsewhere that the registry never
 * reported (a device that does not update its IS-04 subscription, a registry that is down) is so
 * noticed within one interval. A take in flight, or recorded since the read, wins over the check.
 */
@Injectable()
export class ActiveStateCheck implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActiveStateCheck.name);
  private readonly intervalMs: number;
  private readonly readEveryMs: number;
  private readonly loop: LeaseLoop;

  constructor(
    private readonly db: DatabaseService,
    leases: LeaseService,
    private readonly live: LiveStateService,
    private readonly resolver: TargetResolver,
    private readonly devices: DeviceGateway,
    private readonly state: ConnectionStateRepository,
    private readonly events: EventsService,
    config: AppConfig,
  ) {
    this.intervalMs = config.routing.activeCheckIntervalSeconds * 1000;
    this.readEveryMs = 1000 / config.routing.activeCheckRate;
    this.loop = new LeaseLoop(leases, ACTIVE_CHECK_LEASE, (holding) => this.run(holding));
  }

  onApplicationBootstrap(): void {
    if (this.intervalMs > 0) this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  private async run(holding: () => boolean): Promise<void> {
    while (holding()) {
      try {
        const changed = await this.checkAll(holding);
        if (changed > 0) this.logger.log({ changed }, 'receivers changed outside the controller, found on their /active');
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'receiver /active check failed; trying again next interval');
      }
      for (let waited = 0; waited < this.intervalMs && holding(); waited += 250) await sleep(Math.min(250, this.intervalMs - waited));
    }
  }

  /** One pass over every receiver; answers how many were found changed. */
  private async checkAll(holding: () => boolean): Promise<number> {
    const readBefore = new Date();
    const current = await this.live.list();
    const targets = await this.resolver.resolve(current.map((c) => ({ receiver_id: c.receiver_id, sender_id: null })));
    const started = performance.now();
    const changed = await mapLimit(current, CONCURRENCY, async (known, index) => {
      const target = targets[index];
      if (!holding() || target instanceof Error) return false;
      // Paced to ACTIVE_CHECK_RATE: unpaced, 12,000 receivers every 30 s were 400 reads a second, which
      // halved the replica's list throughput and made a change take about 5× longer to show (bench:scale).
      const due = started + index * this.readEveryMs;
      if (due > performance.now()) await sleep(due - performance.now());
      if (!holding()) return false;
      let active: Record<string, unknown>;
      try {
        active = (await this.devices.getActive(target.api, known.receiver_id)).body as Record<string, unknown>;
      } catch {
        return false; // an unreachable device is the registry's and the health check's business
      }
      // A disabled receiver takes no sender, whatever sender_id it keeps staged (IS-04 shows null then).
      const enabled = active.master_enable === true;
      const senderId = enabled ? ((active.sender_id as string | null | undefined) ?? null) : null;
      if (enabled === known.master_enable && senderId === (known.master_enable ? known.sender_id : null)) return false;
      return this.db.write(async (sql) => {
        const saved = await this.state.saveObserved(sql, known.receiver_id, active, readBefore);
        if (!saved) return false;
        const state = {
          receiver_id: known.receiver_id,
          sender_id: saved.sender_id,
          master_enable: saved.master_enable,
          source: 'device' as const,
          since: saved.verified_at.toISOString(),
        };
        await this.events.record(sql, receiverStateEvent(state));
        return true;
      });
    });
    return changed.filter(Boolean).length;
  }
}
