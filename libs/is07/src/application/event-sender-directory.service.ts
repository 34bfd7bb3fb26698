import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { mapLimit, sleep, zodProblems } from '#common';
import { AppConfig } from '#config';
import { SenderActiveReader } from '#connections';
import { MqttTopicsServer } from '#events';
import { NmosQueryService } from '#registry';
import type { NotFollowedReason, SenderTopics } from '../domain/event-sender.js';
import { MqttSenderActive, senderTopics } from '../domain/sender-active.js';

export const MQTT_TRANSPORT = 'urn:x-nmos:transport:mqtt';
/** The @EventPattern names the IS-07 handlers register; topics found at run time are routed to them. */
export const IS07_STATE = 'is07.state';
export const IS07_CONNECTION_STATUS = 'is07.connection_status';

/** What this replica knows of one IS-07 sender: where it publishes and whether its topics are followed. */
export interface DirectoryEntry {
  senderId: string;
  flowId: string | null;
  /** The IS-04 version its `/active` was read at: a new version is read again. */
  version: string;
  topics: SenderTopics | null;
  reason: NotFollowedReason | null;
  /** Its device did not answer the last read: read again next pass. */
  readAgain: boolean;
}

/**
 * Every replica follows every IS-07 MQTT sender of the merged view (no lease: each replica hears each
 * message, and the database keeps the first write of a state, so a replica's death loses nothing).
 * Each IS07_REFRESH_INTERVAL it lists the senders whose transport is `urn:x-nmos:transport:mqtt`, reads
 * the `/active` of those that are new or whose IS-04 version moved (an IS-05 activation bumps it), and
 * routes their state and connection status topics to the IS-07 handlers, when the broker they publish
 * to is one this replica is connected to.
 */
@Injectable()
export class EventSenderDirectory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventSenderDirectory.name);
  private readonly entries = new Map<string, DirectoryEntry>();
  /** Routed topic → the sender publishing on it. */
  private readonly owners = new Map<string, string>();
  /** Senders whose retained messages must be asked for again (a state could not be recorded). */
  private readonly replay = new Set<string>();
  /** Senders already reported as sharing a topic (warned once, not every pass). */
  private readonly reportedShared = new Set<string>();
  private readonly abort = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly config: AppConfig,
    private readonly nmos: NmosQueryService,
    private readonly active: SenderActiveReader,
    private readonly topics: MqttTopicsServer,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.events.is07RefreshSeconds;
    if (seconds > 0) this.running = this.loop(seconds * 1000);
  }

  async onApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** The sender a routed topic belongs to. */
  ownerOf(topic: string): DirectoryEntry | undefined {
    const senderId = this.owners.get(topic);
    return senderId ? this.entries.get(senderId) : undefined;
  }

  entry(senderId: string): DirectoryEntry | undefined {
    return this.entries.get(senderId);
  }

  /** A state of this sender could not be recorded: subscribe its topic again, so the broker resends the retained state. */
  replayLater(senderId: string): void {
    this.replay.add(senderId);
  }

  /** One pass: what the merged view holds now, read and routed. */
  async refresh(): Promise<void> {
    const senders = await this.nmos.sendersByTransport(MQTT_TRANSPORT);
    const present = new Set(senders.map((s) => s.id));
    for (const senderId of [...this.entries.keys()]) if (!present.has(senderId)) await this.forget(senderId);
    const changed = senders.filter((s) => {
      const known = this.entries.get(s.id);
      return !known || known.readAgain || known.version !== s.version;
    });
    await mapLimit(changed, 8, async ({ id, version, resource }) => {
      const known = this.entries.get(id);
      let entry: DirectoryEntry;
      try {
        entry = await this.read(id, version, resource);
      } catch (err) {
        // Said once, when the device stops answering; it is read again every pass.
        if (!known?.readAgain) this.logger.warn({ sender_id: id, err: (err as Error).message }, "an IS-07 sender's /active could not be read");
        // Its IS-05 API away for a while: the topics it gave are still followed.
        if (known?.topics) return void (known.readAgain = true);
        entry = { senderId: id, flowId: flowIdOf(resource), version, topics: null, reason: 'device_unreachable', readAgain: true };
      }
      await this.forget(id);
      this.entries.set(id, entry);
    });
    // Topics are given out in the merged view's order, so a topic two senders claim goes to the same one on every replica.
    for (const sender of senders) await this.follow(this.entries.get(sender.id)!);
    for (const senderId of [...this.replay]) {
      this.replay.delete(senderId);
      const entry = this.entries.get(senderId);
      if (!entry || entry.reason) continue;
      await this.unrouteTopics(entry);
      await this.follow(entry);
    }
  }

  private async loop(intervalMs: number): Promise<void> {
    await this.topics.listening;
    while (!this.abort.signal.aborted) {
      await this.refresh().catch((err: Error) => this.logger.warn({ err: err.message }, 'IS-07 senders could not be refreshed; trying again'));
      await sleep(intervalMs, this.abort.signal);
    }
  }

  /** Where the sender publishes, from its `/active`; rejects when the device does not answer. */
  private async read(senderId: string, version: string, resource: Record<string, unknown>): Promise<DirectoryEntry> {
    const base = { senderId, flowId: flowIdOf(resource), version, readAgain: false };
    const parsed = MqttSenderActive.safeParse(await this.active.read(senderId));
    if (!parsed.success) {
      // The device answered what IS-05 does not allow: read again only when its version moves.
      const problems = zodProblems(parsed.error.issues).map((p) => `${p.field}: ${p.message}`);
      this.logger.warn({ sender_id: senderId, problems }, "an IS-07 sender's /active is not IS-05's MQTT sender parameters");
      return { ...base, topics: null, reason: 'device_unreachable' };
    }
    const topics = senderTopics(parsed.data);
    return { ...base, topics, reason: this.reasonNotToFollow(topics) };
  }

  private reasonNotToFollow(topics: SenderTopics): NotFollowedReason | null {
    const { host, port } = topics.broker;
    if (!topics.enabled || !topics.topic || host === null) return 'not_configured';
    // `auto`: the sender finds its broker itself; a plant with one broker pair is the case to serve.
    if (host !== 'auto' && port !== null && !this.topics.reaches(host, port)) return 'other_broker';
    return null;
  }

  private async follow(entry: DirectoryEntry): Promise<void> {
    if (entry.reason && entry.reason !== 'topic_shared') return;
    const wanted = [entry.topics?.topic, entry.topics?.statusTopic].filter((t): t is string => !!t);
    const taken = wanted.find((topic) => (this.owners.get(topic) ?? entry.senderId) !== entry.senderId);
    entry.reason = taken ? 'topic_shared' : null;
    if (taken) {
      if (!this.reportedShared.has(entry.senderId))
        this.logger.warn({ sender_id: entry.senderId, topic: taken }, 'an IS-07 sender publishes on another sender’s topic: not followed');
      this.reportedShared.add(entry.senderId);
      return;
    }
    this.reportedShared.delete(entry.senderId);
    if (entry.topics?.topic && !this.owners.has(entry.topics.topic)) {
      this.owners.set(entry.topics.topic, entry.senderId);
      await this.topics.route(entry.topics.topic, IS07_STATE);
    }
    if (entry.topics?.statusTopic && !this.owners.has(entry.topics.statusTopic)) {
      this.owners.set(entry.topics.statusTopic, entry.senderId);
      await this.topics.route(entry.topics.statusTopic, IS07_CONNECTION_STATUS);
    }
  }

  private async forget(senderId: string): Promise<void> {
    const entry = this.entries.get(senderId);
    if (!entry) return;
    this.entries.delete(senderId);
    await this.unrouteTopics(entry);
  }

  private async unrouteTopics(entry: DirectoryEntry): Promise<void> {
    for (const topic of [entry.topics?.topic, entry.topics?.statusTopic]) {
      if (topic && this.owners.get(topic) === entry.senderId) {
        this.owners.delete(topic);
        await this.topics.unroute(topic);
      }
    }
  }
}

function flowIdOf(resource: Record<string, unknown>): string | null {
  return typeof resource.flow_id === 'string' ? resource.flow_id : null;
}
