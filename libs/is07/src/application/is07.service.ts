import { Injectable, Logger } from '@nestjs/common';
import { DomainError, zodProblems } from '#common';
import { DatabaseService } from '#database';
import { EventsService } from '#events';
import { MetricsService, type Counter } from '#metrics';
import { NmosQueryService } from '#registry';
import type { EventSenderView } from '../domain/event-sender.js';
import { Is07ConnectionStatus, Is07StateMessage } from '../domain/is07-message.js';
import { SenderStateRepository } from '../infra/sender-state.repository.js';
import { EventSenderDirectory, MQTT_TRANSPORT } from './event-sender-directory.service.js';

type Outcome = 'recorded' | 'unchanged' | 'invalid' | 'unknown_topic' | 'failed';

/**
 * IS-07 messages heard on followed topics, recorded with their events; and the senders as the API
 * shows them. A message is checked whole (IS-07's `state` shape, the value's type for its event type,
 * the sender's own flow) before anything is written; a bad one changes nothing and is counted.
 */
@Injectable()
export class Is07Service {
  private readonly logger = new Logger(Is07Service.name);
  private readonly messages: Counter<'kind' | 'outcome'>;

  constructor(
    private readonly db: DatabaseService,
    private readonly events: EventsService,
    private readonly nmos: NmosQueryService,
    private readonly directory: EventSenderDirectory,
    private readonly states: SenderStateRepository,
    metrics: MetricsService,
  ) {
    this.messages = metrics.counter({
      name: 'nmos_control_is07_messages_total',
      help: 'IS-07 messages heard by this replica, by kind (state, connection_status) and outcome (recorded; unchanged: a duplicate, an older state or one another replica recorded first; invalid; unknown_topic; failed: not written)',
      labelNames: ['kind', 'outcome'],
    });
  }

  async onState(topic: string, message: unknown): Promise<void> {
    const sender = this.directory.ownerOf(topic);
    if (!sender) return this.count('state', 'unknown_topic');
    const parsed = Is07StateMessage.safeParse(message);
    const problems = parsed.success ? [] : zodProblems(parsed.error.issues);
    if (parsed.success && sender.flowId && parsed.data.identity.flow_id !== sender.flowId)
      problems.push({ field: 'identity.flow_id', message: `is not sender ${sender.senderId}'s flow ${sender.flowId}` });
    if (!parsed.success || problems.length > 0) {
      this.logger.warn({ topic, sender_id: sender.senderId, problems: problems.map((p) => `${p.field}: ${p.message}`) }, 'ignored an IS-07 state message');
      return this.count('state', 'invalid');
    }
    try {
      const { written } = await this.db.writeThrough(async (sql) => {
        const result = await this.states.recordState(sql, this.events.fromRows, sender.senderId, parsed.data);
        if (result.changed) await this.events.fromRows.wakeRelay(sql);
        return result;
      });
      this.count('state', written ? 'recorded' : 'unchanged');
    } catch (err) {
      this.fail('state', sender.senderId, err);
    }
  }

  async onConnectionStatus(topic: string, message: unknown): Promise<void> {
    const sender = this.directory.ownerOf(topic);
    if (!sender) return this.count('connection_status', 'unknown_topic');
    const parsed = Is07ConnectionStatus.safeParse(message);
    if (!parsed.success) {
      const problems = zodProblems(parsed.error.issues).map((p) => `${p.field}: ${p.message}`);
      this.logger.warn({ topic, sender_id: sender.senderId, problems }, 'ignored an IS-07 connection status message');
      return this.count('connection_status', 'invalid');
    }
    try {
      const changed = await this.db.writeThrough(async (sql) => {
        const written = await this.states.recordConnection(sql, this.events.fromRows, sender.senderId, parsed.data);
        if (written) await this.events.fromRows.wakeRelay(sql);
        return written;
      });
      this.count('connection_status', changed ? 'recorded' : 'unchanged');
    } catch (err) {
      this.fail('connection_status', sender.senderId, err);
    }
  }

  /** Every IS-07 MQTT sender of the merged view, with where it publishes and what it last said. */
  async list(): Promise<EventSenderView[]> {
    return this.views(await this.nmos.sendersByTransport(MQTT_TRANSPORT));
  }

  async get(senderId: string): Promise<EventSenderView> {
    const senders = (await this.nmos.some('senders', [senderId])).filter((s) => s.resource.transport === MQTT_TRANSPORT);
    if (senders.length === 0) throw new DomainError('not_found', 'event_sender_not_found', `No IS-07 MQTT sender ${senderId} in the merged view`);
    return (await this.views(senders))[0];
  }

  private async views(senders: Array<{ id: string; resource: Record<string, unknown> }>): Promise<EventSenderView[]> {
    const stored = await this.db.read((sql) =>
      this.states.find(
        sql,
        senders.map((s) => s.id),
      ),
    );
    return senders.map(({ id, resource }) => {
      const entry = this.directory.entry(id);
      const known = stored.get(id);
      return {
        sender_id: id,
        label: typeof resource.label === 'string' ? resource.label : null,
        device_id: typeof resource.device_id === 'string' ? resource.device_id : null,
        flow_id: typeof resource.flow_id === 'string' ? resource.flow_id : null,
        broker: entry?.topics?.broker ?? null,
        topic: entry?.topics?.topic ?? null,
        connection_status_topic: entry?.topics?.statusTopic ?? null,
        following: entry !== undefined && entry.reason === null,
        reason: entry?.reason ?? null,
        connected: known?.connected ?? null,
        connection_changed_at: known?.connectionChangedAt ?? null,
        state: known?.state ?? null,
      };
    });
  }

  private fail(kind: 'state' | 'connection_status', senderId: string, err: unknown): void {
    // Retained on the broker: subscribing again brings the message back once the database is there.
    this.directory.replayLater(senderId);
    this.logger.warn({ sender_id: senderId, err: (err as Error).message }, `an IS-07 ${kind} message could not be recorded; asking the broker for it again`);
    this.count(kind, 'failed');
  }

  private count(kind: 'state' | 'connection_status', outcome: Outcome): void {
    this.messages.inc({ kind, outcome });
  }
}
