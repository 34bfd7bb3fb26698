import { Injectable } from '@nestjs/common';
import { DatabaseService, type Sql } from '#database';
import { EventsService } from '#events';
import type { NmosType, ReportedResource } from '../domain/nmos-resource.js';
import { MergedViewRepository, type ResourceKey } from '../infra/merged-view.repository.js';
import { NmosChangeFollowers } from './nmos-change-followers.js';

/**
 * Writes to the merged view (only the watching replica calls these). Each call is one transaction: the
 * registry's copies change, the effective resources are recomputed, and the effective changes are
 * recorded in the events outbox and handed to other modules' followers, all or nothing.
 */
@Injectable()
export class MergedViewService {
  /** The merged-view transaction running now, if any; the next one waits for it (see change). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: DatabaseService,
    private readonly repository: MergedViewRepository,
    private readonly events: EventsService,
    private readonly followers: NmosChangeFollowers,
  ) {}

  /** Resources a registry reported (added, modified, or in its snapshot) and ones it removed. */
  apply(registry: string, reported: ReportedResource[], removed: ResourceKey[] = []): Promise<void> {
    return this.change(async (sql) => [
      ...(await this.repository.upsertCopies(sql, registry, reported)),
      ...(await this.repository.removeCopies(sql, registry, removed)),
    ]);
  }

  /** A snapshot of `type` is complete: what it did not contain turns stale. */
  sweep(registry: string, type: NmosType, reportedIds: string[]): Promise<void> {
    return this.change((sql) => this.repository.markUnreported(sql, registry, type, reportedIds));
  }

  registryUnreachable(registry: string): Promise<void> {
    return this.change((sql) => this.repository.markRegistryStale(sql, registry));
  }

  removeRegistry(registry: string): Promise<void> {
    return this.change((sql) => this.repository.removeRegistry(sql, registry));
  }

  pruneStale(graceSeconds: number): Promise<void> {
    return this.change((sql) => this.repository.pruneStale(sql, graceSeconds));
  }

  analyze(): Promise<void> {
    return this.db.write((sql) => this.repository.analyze(sql));
  }

  registriesWithCopies(): Promise<string[]> {
    return this.db.readPrimary((sql) => this.repository.registriesWithCopies(sql));
  }

  /**
   * Merged-view transactions run one at a time in this process, queued here rather than on the
   * advisory lock: queued there, each waited holding a pool connection, and during a plant's snapshot
   * (a stream per type and registry) they filled the pool, so lease renewals and reads waited for a
   * connection. At 200,000 resources the snapshot then restarted every 10–20 s (as a lost lease makes
   * it do) and never finished; queued here, it finishes in one session (bench:scale). The advisory
   * lock still orders them against another replica's.
   */
  private async change(touch: (sql: Sql) => Promise<ResourceKey[]>): Promise<void> {
    const turn = this.queue.then(() => this.transaction(touch));
    this.queue = turn.catch(() => undefined);
    await turn;
  }

  private async transaction(touch: (sql: Sql) => Promise<ResourceKey[]>): Promise<void> {
    await this.db.write(async (sql) => {
      await this.repository.lock(sql);
      const keys = await touch(sql);
      const changes = await this.repository.recompute(sql, keys, this.events.fromRows, this.followers.types);
      if (changes.length === 0) return;
      await this.events.fromRows.wakeRelay(sql);
      await this.followers.run(sql, changes);
    });
  }
}
