import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { sleep } from '#common';
import { AppConfig } from '#config';
import { DatabaseService, LeaseLoop, LeaseService } from '#database';
import { MetricsService, type Counter } from '#metrics';
import { toPublished, type StoredEvent } from '../domain/event.js';
import { OUTBOX_CHANNEL, OutboxRepository } from '../infra/outbox.repository.js';
import { BrokerLink } from './broker-link.service.js';

export const EVENT_RELAY_LEASE = 'event-relay';
const BATCH = 500;
/** The relay is woken by NOTIFY at each commit; this is only the safety net. */
const IDLE_POLL_MS = 1_000;
/** Pruning runs every minute, or every half retention when that is shorter. */
const PRUNE_INTERVAL_MAX_MS = 60_000;

/**
 * Singleton work: publishes the outbox in sequence order at QoS 1 and marks events sent only after the
 * broker's PUBACK. A broker outage, a relay crash or a lease takeover only delays events: the next run
 * starts from the first unacknowledged one. After reconnecting to a *different* broker of the list it
 * republishes the last MQTT_REPLAY_WINDOW of events, since a bridge pair loses what the first broker
 * had acknowledged while its bridge was down (subscribers drop duplicates by id).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly published: Counter;
  private readonly republished: Counter;
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly lease: LeaseLoop;
  private lastBroker?: string;
  private replayPending = false;
  private wake?: AbortController;
  private notified = false;

  constructor(
    private readonly db: DatabaseService,
    leases: LeaseService,
    private readonly outbox: OutboxRepository,
    private readonly link: BrokerLink,
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.lease = new LeaseLoop(leases, EVENT_RELAY_LEASE, (holding, stopped) => this.relay(holding, stopped));
    this.published = metrics.counter({
      name: 'nmos_control_events_published_total',
      help: 'Events this replica published and the broker acknowledged (relay lease holder)',
    });
    this.republished = metrics.counter({
      name: 'nmos_control_events_republished_total',
      help: 'Events published again after moving to another broker of a pair (the replay window)',
    });
  }

  onApplicationBootstrap(): void {
    this.link.connection.onConnect((broker) => {
      if (this.lastBroker !== undefined && this.lastBroker !== broker) this.replayPending = true;
      this.lastBroker = broker;
    });
    this.lease.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.lease.stop();
  }

  /** The relay's turn: woken by every commit's NOTIFY while it holds the lease. */
  private async relay(holding: () => boolean, stopped: AbortSignal): Promise<void> {
    const stopListening = this.db.listen(OUTBOX_CHANNEL, () => {
      this.notified = true;
      this.wake?.abort();
    });
    try {
      await this.loop(holding, stopped);
    } finally {
      await stopListening();
    }
  }

  /** Sleeps until a commit notifies new events, the safety-net period passes, or the relay stops. */
  private async idle(signal: AbortSignal): Promise<void> {
    // A commit notified between the empty fetch and now: no sleep.
    if (this.notified) return;
    const wake = new AbortController();
    this.wake = wake;
    const onStop = () => wake.abort();
    signal.addEventListener('abort', onStop, { once: true });
    await sleep(IDLE_POLL_MS, wake.signal);
    signal.removeEventListener('abort', onStop);
  }

  private async loop(holding: () => boolean, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let lastPrune = 0;
    while (!signal.aborted) {
      try {
        if (!this.link.connection.connectedTo) {
          await sleep(100, signal);
          continue;
        }
        if (this.replayPending) {
          this.replayPending = false;
          const recent = await this.db.readPrimary((sql) => this.outbox.sentSince(sql, this.config.events.replayWindowSeconds));
          this.logger.warn({ broker: this.link.connection.connectedTo, events: recent.length }, 'on another broker: republishing the replay window');
          await this.publish(recent);
          this.republished.inc(recent.length);
        }
        if (Date.now() - lastPrune > Math.min(PRUNE_INTERVAL_MAX_MS, (this.config.events.retentionSeconds * 1000) / 2)) {
          lastPrune = Date.now();
          await this.db.write((sql) => this.outbox.prune(sql, this.config.events.retentionSeconds));
        }
        if (!holding()) break;
        this.notified = false;
        const batch = await this.db.write((sql) => this.outbox.nextBatch(sql, BATCH));
        if (batch.length === 0) {
          await this.idle(signal);
          continue;
        }
        await this.publish(batch);
        this.published.inc(batch.length);
        await this.db.write((sql) =>
          this.outbox.markSent(
            sql,
            batch.map((e) => e.id),
          ),
        );
        failures = 0;
      } catch (err) {
        failures++;
        this.logger.warn({ err: (err as Error).message, failures }, 'relay could not publish; retrying');
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)), signal);
      }
    }
  }

  /**
   * Sent in order on one connection (MQTT keeps the order); resolves when the broker acknowledged all.
   * An event that ends its subject is followed, on its topic, by the zero-length retained publish that
   * clears the retained state (queued right behind it, so nothing published later on the topic is cleared).
   */
  private async publish(events: StoredEvent[]): Promise<void> {
    const prefix = this.config.events.topicPrefix;
    const connection = this.link.connection;
    await Promise.all(
      events.flatMap((event) => {
        const topic = `${prefix}/${event.topic}`;
        const sent = connection.publish(topic, JSON.stringify(toPublished(event)), event.retained);
        return event.clears_retained ? [sent, connection.publish(topic, '', true)] : [sent];
      }),
    );
  }
}
