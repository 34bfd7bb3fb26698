import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DatabaseService } from '#database';
import { ReadinessState } from '#health';
import type { PublishedEvent } from '../domain/event.js';
import { SEQUENCED_CHANNEL } from '../infra/outbox.repository.js';
import { EventsService } from './events.service.js';

/** Events read per query while a stream catches up. */
const BATCH = 500;
/** A missed NOTIFY (a listener reconnecting) costs at most this. */
const SAFETY_POLL_MS = 2_000;

/**
 * The outbox as a live, ordered stream for browsers (server-sent events): each stream reads from its own
 * position (a `Last-Event-ID` resumes after a reconnect, on any replica), then waits for the relay's
 * NOTIFY that new events are numbered. Streams end when this replica starts draining, so clients move
 * to another replica with their position, and nothing is missed or repeated.
 */
@Injectable()
export class EventStream implements OnModuleInit, OnApplicationShutdown {
  private readonly waiting = new Set<() => void>();
  private readonly streams = new Set<AbortController>();
  private stopListening?: () => Promise<void>;
  private stopDrainWatch?: () => void;

  constructor(
    private readonly db: DatabaseService,
    private readonly events: EventsService,
    private readonly readiness: ReadinessState,
  ) {}

  onModuleInit(): void {
    this.stopListening = this.db.listen(SEQUENCED_CHANNEL, () => this.wake());
    this.stopDrainWatch = this.readiness.whenDraining(() => this.endAll());
  }

  async onApplicationShutdown(): Promise<void> {
    this.endAll();
    this.stopDrainWatch?.();
    await this.stopListening?.();
  }

  /** A signal that ends with the client, the drain or the shutdown, whichever comes first. */
  open(clientGone: AbortSignal): AbortSignal {
    const controller = new AbortController();
    if (this.readiness.draining) controller.abort();
    this.streams.add(controller);
    const end = () => {
      controller.abort();
      this.streams.delete(controller);
      this.wake();
    };
    clientGone.addEventListener('abort', end, { once: true });
    controller.signal.addEventListener('abort', () => this.streams.delete(controller), { once: true });
    return controller.signal;
  }

  /** Every event after `after` that `role` may read, in order, as they come, until `signal` ends. */
  async *follow(after: number, role: string, signal: AbortSignal): AsyncGenerator<PublishedEvent> {
    let position = after;
    while (!signal.aborted) {
      const batch = await this.events.after(position, BATCH, role);
      for (const event of batch) {
        if (signal.aborted) return;
        position = event.seq;
        yield event;
      }
      // A full batch: more are already there. A short one (hidden topics are filtered before the limit)
      // means nothing more yet: wait for the next numbering, or the safety poll.
      if (batch.length < BATCH) await this.nextNumbering(signal);
    }
  }

  private nextNumbering(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, SAFETY_POLL_MS);
      this.waiting.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const resolve of [...this.waiting]) resolve();
  }

  private endAll(): void {
    for (const stream of [...this.streams]) stream.abort();
  }
}
