import { Injectable, Logger } from '@nestjs/common';
import { sleep } from '#common';
import { DatabaseService } from '#database';
import { EventsService, topicSegment } from '#events';
import { RegistryStateRepository, type RegistryStateRow } from '../infra/registry-state.repository.js';

export type SavedState = Omit<RegistryStateRow, 'name' | 'changed_at'>;

const RETRY_MS = 1_000;

/**
 * Saves each registry's connection state, one save after another per registry (an older state never
 * overwrites a newer one), and records a retained `registry.state.changed` event in the same
 * transaction when the state itself changed. What was published is remembered only after the commit,
 * and a save that fails (a database outage) is retried until it commits: no state change is lost
 * (ARCHITECTURE invariant 4). Only a save that carries no change of its own is dropped, when a newer
 * one is waiting.
 */
@Injectable()
export class RegistryStatePublisher {
  private readonly logger = new Logger(RegistryStatePublisher.name);
  private readonly published = new Map<string, string>();
  private readonly queues = new Map<string, SavedState[]>();
  private readonly draining = new Map<string, { term: number; done: Promise<void> }>();
  private stopped = false;
  /** Lease terms: a drain of an earlier term stops, and never marks anything published for this one. */
  private term = 0;

  constructor(
    private readonly db: DatabaseService,
    private readonly states: RegistryStateRepository,
    private readonly events: EventsService,
  ) {}

  /** Starts a lease term: the first save of each registry publishes its state. */
  reset(): void {
    this.term++;
    this.stopped = false;
    this.published.clear();
    this.queues.clear();
  }

  /** Ends a lease term: nothing more is saved (the next holder publishes the present state). */
  stop(): void {
    this.term++;
    this.stopped = true;
  }

  /** Queues a state; resolves when every state queued for the registry so far is saved (or dropped). */
  save(name: string, state: SavedState): Promise<void> {
    const queue = this.queues.get(name) ?? [];
    queue.push(state);
    this.queues.set(name, queue);
    const current = this.draining.get(name);
    if (current?.term === this.term) return current.done;
    const term = this.term;
    const done = this.drain(name, queue, term).finally(() => {
      if (this.draining.get(name)?.done === done) this.draining.delete(name);
    });
    this.draining.set(name, { term, done });
    return done;
  }

  /** Forgets the state of registries no longer configured. */
  async keepOnly(names: string[]): Promise<void> {
    await this.db.write(async (sql) => {
      for (const row of await this.states.list(sql)) if (!names.includes(row.name)) await this.states.remove(sql, row.name);
    });
  }

  private async drain(name: string, queue: SavedState[], term: number): Promise<void> {
    while (queue.length > 0 && !this.stopped && term === this.term) {
      const head = queue[0];
      if (await this.write(name, head, term)) {
        queue.shift();
        continue;
      }
      // A save that would publish nothing new (the state is already out, or the next one says the same)
      // is only a row update: the next save covers it.
      if (queue.length > 1 && (this.published.get(name) === head.state || queue[1].state === head.state)) {
        queue.shift();
        continue;
      }
      await sleep(RETRY_MS);
    }
  }

  private async write(name: string, state: SavedState, term: number): Promise<boolean> {
    try {
      await this.db.write(async (sql) => {
        await this.states.save(sql, { name, ...state });
        // Other systems hear of state changes (not of every event time), retained: the present state.
        if (this.published.get(name) !== state.state)
          await this.events.record(sql, {
            type: 'registry.state.changed',
            subject: { kind: 'registry', id: name },
            topic: `registry/${topicSegment(name)}`,
            retained: true,
            payload: { registry: name, state: state.state, endpoint: state.endpoint, api_version: state.api_version, last_error: state.last_error },
          });
      });
      if (term === this.term) this.published.set(name, state.state);
      return true;
    } catch (err) {
      this.logger.debug({ registry: name, err: (err as Error).message }, 'could not save registry state: retrying');
      return false;
    }
  }
}
