import { Injectable } from '@nestjs/common';
import { DatabaseService, type Sql } from '#database';
import { hiddenTopicPrefixes } from '../domain/event-audience.js';
import { toPublished, type NewEvent, type PublishedEvent } from '../domain/event.js';
import { OutboxRepository } from '../infra/outbox.repository.js';
import { BrokerLink } from './broker-link.service.js';

/** The module's API: record events with the change they describe, and read them back. */
@Injectable()
export class EventsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly outbox: OutboxRepository,
    private readonly link: BrokerLink,
  ) {}

  /** In the caller's transaction: if it rolls back, the event never existed. */
  record(sql: Sql, event: NewEvent): Promise<string> {
    return this.outbox.insert(sql, event);
  }

  /** Many events, in this order, in the caller's transaction, in few round trips. */
  async recordMany(sql: Sql, events: NewEvent[]): Promise<void> {
    await this.outbox.insertMany(sql, events);
  }

  /**
   * Events computed by the caller's own SQL, recorded by the statement that writes what they describe:
   * `insertSql(rows)` is an INSERT to place in a data-modifying CTE, where `rows` answers
   * `type, subject_kind, subject_id, topic, retained, payload, ord` (see NewEvent); `wakeRelay` is
   * called once such a statement recorded any.
   */
  readonly fromRows = {
    insertSql: (rows: string): string => this.outbox.insertFromRowsSql(rows),
    wakeRelay: (sql: Sql): Promise<void> => this.outbox.notifyRelay(sql),
  };

  /** Published events after a sequence number, as on MQTT, for a subscriber that saw a gap: those its role may read. */
  async after(seq: number, limit: number, readerRole: string): Promise<PublishedEvent[]> {
    const hidden = hiddenTopicPrefixes(readerRole);
    return (await this.db.read((sql) => this.outbox.after(sql, seq, limit, hidden))).map(toPublished);
  }

  /** The last numbered event's sequence (0 when none): where a live stream without a position starts. */
  latestSeq(): Promise<number> {
    return this.db.readPrimary((sql) => this.outbox.latestSeq(sql));
  }

  /** Where this replica's embedded broker listens (no MQTT_BROKER_URL), for the start-up banner. */
  get embeddedBrokerUrl(): string | undefined {
    return this.link.embeddedUrl;
  }

  /** The embedded broker's account for subscribers (printed at start); undefined with external brokers. */
  get embeddedBrokerSubscriber(): { username: string; password: string } | undefined {
    return this.link.subscriberAccount;
  }
}
