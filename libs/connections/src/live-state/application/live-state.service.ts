import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DomainError } from '#common';
import { DatabaseService, type Sql } from '#database';
import { EventsService } from '#events';
import { NmosChangeFollowers, NmosQueryService, type MergedChange } from '#registry';
import { receiverStateEvent, versionTime, type ReceiverState } from '../domain/receiver-state.js';
import { ConnectionStateRepository, type VerifiedConnection } from '../infra/connection-state.repository.js';
import { GuardRepository, type ReceiverLock } from '../../guard/index.js';

export interface ReceiverConnection extends ReceiverState {
  label: string;
  device_id: string;
  /** What the controller last read on the device's /active, if it ever did. */
  verified: { sender_id: string | null; master_enable: boolean; verified_at: Date } | null;
  lock: { owner: string; reason: string; locked_at: Date } | null;
  pending_schedule: { id: string; sender_id: string | null; activation_time: string } | null;
}

/**
 * Every receiver's current sender: the newer of the registry's `subscription` (so changes made outside
 * the controller show as soon as the registry reports them) and the controller's last verified /active.
 * Receiver changes reported by the registry also become `receiver.state.changed` events.
 */
@Injectable()
export class LiveStateService implements OnModuleInit {
  constructor(
    private readonly db: DatabaseService,
    private readonly nmos: NmosQueryService,
    private readonly state: ConnectionStateRepository,
    private readonly guards: GuardRepository,
    private readonly events: EventsService,
    private readonly followers: NmosChangeFollowers,
  ) {}

  onModuleInit(): void {
    this.followers.add(['receivers'], (sql, changes) => this.followRegistry(sql, changes));
  }

  async list(filter: { sender_id?: string } = {}): Promise<ReceiverConnection[]> {
    const [receivers, extra] = await Promise.all([this.nmos.all('receivers'), this.db.read((sql) => this.extras(sql))]);
    const all = receivers.map((r) => this.combine(r.id, r.version, r.resource, extra));
    return filter.sender_id ? all.filter((c) => c.sender_id === filter.sender_id) : all;
  }

  async get(receiverId: string): Promise<ReceiverConnection> {
    const [receivers, extra] = await Promise.all([this.nmos.some('receivers', [receiverId]), this.db.readPrimary((sql) => this.extras(sql, [receiverId]))]);
    if (receivers.length === 0) throw new DomainError('not_found', 'receiver_not_found', `No receiver ${receiverId} in the merged view`);
    return this.combine(receiverId, receivers[0].version, receivers[0].resource, extra);
  }

  /** For each sender, the receivers it feeds now. */
  async tally(): Promise<Array<{ sender_id: string; receivers: string[] }>> {
    const bySender = new Map<string, string[]>();
    for (const c of await this.list()) if (c.sender_id && c.master_enable) bySender.set(c.sender_id, [...(bySender.get(c.sender_id) ?? []), c.receiver_id]);
    return [...bySender.entries()].map(([sender_id, receivers]) => ({ sender_id, receivers })).sort((a, b) => a.sender_id.localeCompare(b.sender_id));
  }

  private async extras(sql: Sql, ids?: string[]) {
    // One connection: its queries run one after another.
    const verified = await this.state.verified(sql, ids);
    const locks = await this.guards.locks(sql, ids);
    return {
      verified: new Map<string, VerifiedConnection>(verified.map((v) => [v.receiver_id, v])),
      locks: new Map<string, ReceiverLock>(locks.map((l) => [l.receiver_id, l])),
      pending: await this.state.pendingOn(sql, ids),
    };
  }

  private combine(id: string, version: string, resource: Record<string, unknown>, extra: Awaited<ReturnType<LiveStateService['extras']>>): ReceiverConnection {
    const subscription = (resource.subscription ?? {}) as { sender_id?: string | null; active?: boolean };
    const reportedAt = versionTime(version);
    const verified = extra.verified.get(id);
    const useVerified = verified !== undefined && verified.verified_at.getTime() > reportedAt.getTime();
    const lock = extra.locks.get(id);
    const pending = extra.pending.get(id);
    return {
      receiver_id: id,
      label: String(resource.label ?? ''),
      device_id: String(resource.device_id ?? ''),
      sender_id: useVerified ? verified.sender_id : (subscription.sender_id ?? null),
      master_enable: useVerified ? verified.master_enable : subscription.active === true,
      source: useVerified ? verified.source : 'registry',
      since: (useVerified ? verified.verified_at : reportedAt).toISOString(),
      verified: verified ? { sender_id: verified.sender_id, master_enable: verified.master_enable, verified_at: verified.verified_at } : null,
      lock: lock ? { owner: lock.owner.name, reason: lock.reason, locked_at: lock.locked_at } : null,
      pending_schedule: pending ? { id: pending.id, sender_id: pending.sender_id, activation_time: pending.activation_time } : null,
    };
  }

  /** In the merged view's transaction: a receiver whose subscription changed is a state event. */
  private async followRegistry(sql: Sql, changes: MergedChange[]): Promise<void> {
    const states: ReceiverState[] = [];
    for (const change of changes) {
      if (change.type !== 'receivers' || !change.post) continue;
      const before = (change.pre?.subscription ?? null) as { sender_id?: string | null; active?: boolean } | null;
      const after = (change.post.subscription ?? {}) as { sender_id?: string | null; active?: boolean };
      if (before && before.sender_id === after.sender_id && before.active === after.active) continue;
      const state: ReceiverState = {
        receiver_id: change.id,
        sender_id: after.sender_id ?? null,
        master_enable: after.active === true,
        source: 'registry',
        since: versionTime(String(change.post.version)).toISOString(),
      };
      states.push(state);
    }
    // One statement for a snapshot's thousands of receivers, not a round trip each.
    await this.events.recordMany(
      sql,
      states.map((state) => receiverStateEvent(state)),
    );
  }
}
