import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { storedActor, storedTime, storedUuid } from '#common';
import { readBackupItems, type BackupSection, type SectionChange, type Sql } from '#database';
import { NamedSalvoRequest, PolicyRequest, SalvoRequest } from '../domain/requests.js';

/**
 * Routing's share of a backup: policies and the default effect, receiver locks, saved salvos and the
 * schedules still to fire. Each item is checked with the rules the routing API applies to a request.
 * Written back row by row inside the restore's transaction; a pending schedule the restore drops is
 * cancelled (its history kept), not deleted.
 */

/** Checks `picked(item)` with the API's own request schema, reporting its problems at the item's paths. */
function checkedAs<T extends object>(shape: z.ZodType<T>, request: z.ZodType, picked: (item: T) => unknown): z.ZodType<T> {
  return shape.superRefine((item, ctx) => {
    const parsed = request.safeParse(picked(item));
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  });
}

const PolicyItem = checkedAs(
  z.strictObject({
    id: storedUuid,
    name: z.string(),
    effect: z.enum(['allow', 'deny']),
    sender: z.unknown().nullable(),
    receiver: z.unknown().nullable(),
    created_by: storedActor,
    created_at: storedTime,
  }),
  PolicyRequest,
  (p) => ({ name: p.name, effect: p.effect, ...(p.sender !== null ? { sender: p.sender } : {}), ...(p.receiver !== null ? { receiver: p.receiver } : {}) }),
);
type PolicyItem = z.infer<typeof PolicyItem>;

@Injectable()
export class PoliciesBackupSection implements BackupSection<PolicyItem> {
  readonly name = 'routing_policies';
  readonly item = PolicyItem;

  key(policy: PolicyItem): string {
    return policy.name;
  }

  read(sql: Sql): Promise<PolicyItem[]> {
    return readBackupItems(
      sql,
      `SELECT jsonb_build_object('id', id, 'name', name, 'effect', effect, 'sender', sender, 'receiver', receiver,
         'created_by', created_by, 'created_at', created_at) AS item FROM routing_policies ORDER BY name`,
    );
  }

  async write(sql: Sql, change: SectionChange<PolicyItem>): Promise<void> {
    const names = [...change.remove, ...change.upsert.map((p) => p.name)];
    const ids = change.upsert.map((p) => p.id);
    await sql.execute('DELETE FROM routing_policies WHERE name = ANY($1) OR id = ANY($2::uuid[])', [names, ids]);
    for (const p of change.upsert)
      await sql.execute('INSERT INTO routing_policies (id, name, effect, sender, receiver, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        p.id,
        p.name,
        p.effect,
        json(p.sender),
        json(p.receiver),
        json(p.created_by),
        p.created_at,
      ]);
  }
}

const SettingItem = z.discriminatedUnion('key', [
  z.strictObject({ key: z.literal('default_effect'), value: z.enum(['allow', 'deny'], { message: 'must be allow or deny' }) }),
]);
type SettingItem = z.infer<typeof SettingItem>;

/** Settings every database has and their values when a replace leaves them out (the migration's). */
const SETTING_DEFAULTS: Record<SettingItem['key'], SettingItem['value']> = { default_effect: 'allow' };

/**
 * Routing settings (today the default effect when no policy matches). A setting always exists: one a
 * replace leaves out goes back to its default (what the restore's report calls removed); a merge keeps it.
 */
@Injectable()
export class RoutingSettingsBackupSection implements BackupSection<SettingItem> {
  readonly name = 'routing_settings';
  readonly item = SettingItem;

  key(setting: SettingItem): string {
    return setting.key;
  }

  read(sql: Sql): Promise<SettingItem[]> {
    return readBackupItems(sql, `SELECT jsonb_build_object('key', key, 'value', value) AS item FROM routing_settings ORDER BY key`);
  }

  async write(sql: Sql, change: SectionChange<SettingItem>): Promise<void> {
    const reset = change.remove.map((key) => ({ key, value: SETTING_DEFAULTS[key as SettingItem['key']] }) as SettingItem);
    for (const s of [...change.upsert, ...reset])
      await sql.execute('INSERT INTO routing_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [
        s.key,
        json(s.value),
      ]);
  }
}

const LockItem = z.strictObject({
  receiver_id: z.string().min(1).max(128),
  owner: storedActor,
  reason: z.string().trim().min(1, 'must say why').max(500),
  locked_at: storedTime,
});
type LockItem = z.infer<typeof LockItem>;

@Injectable()
export class LocksBackupSection implements BackupSection<LockItem> {
  readonly name = 'receiver_locks';
  readonly item = LockItem;

  key(lock: LockItem): string {
    return lock.receiver_id;
  }

  read(sql: Sql): Promise<LockItem[]> {
    return readBackupItems(
      sql,
      `SELECT jsonb_build_object('receiver_id', receiver_id, 'owner', owner, 'reason', reason, 'locked_at', locked_at) AS item
       FROM receiver_locks ORDER BY receiver_id`,
    );
  }

  async write(sql: Sql, change: SectionChange<LockItem>): Promise<void> {
    await sql.execute('DELETE FROM receiver_locks WHERE receiver_id = ANY($1)', [[...change.remove, ...change.upsert.map((l) => l.receiver_id)]]);
    for (const l of change.upsert)
      await sql.execute('INSERT INTO receiver_locks (receiver_id, owner, reason, locked_at) VALUES ($1, $2, $3, $4)', [
        l.receiver_id,
        json(l.owner),
        l.reason,
        l.locked_at,
      ]);
  }
}

const SalvoBackupItem = checkedAs(
  z.strictObject({
    name: z.string(),
    description: z.string(),
    connections: z.array(z.unknown()),
    on_failure: z.enum(['rollback', 'continue']),
    synchronised: z.boolean(),
    created_by: storedActor,
    updated_at: storedTime,
  }),
  NamedSalvoRequest,
  (s) => ({ name: s.name, description: s.description, connections: s.connections, on_failure: s.on_failure, synchronised: s.synchronised }),
);
type SalvoBackupItem = z.infer<typeof SalvoBackupItem>;

@Injectable()
export class SalvosBackupSection implements BackupSection<SalvoBackupItem> {
  readonly name = 'salvos';
  readonly item = SalvoBackupItem;

  key(salvo: SalvoBackupItem): string {
    return salvo.name;
  }

  read(sql: Sql): Promise<SalvoBackupItem[]> {
    return readBackupItems(
      sql,
      `SELECT jsonb_build_object('name', name, 'description', description, 'connections', connections, 'on_failure', on_failure,
         'synchronised', synchronised, 'created_by', created_by, 'updated_at', updated_at) AS item FROM salvos ORDER BY name`,
    );
  }

  async write(sql: Sql, change: SectionChange<SalvoBackupItem>): Promise<void> {
    await sql.execute('DELETE FROM salvos WHERE name = ANY($1)', [[...change.remove, ...change.upsert.map((s) => s.name)]]);
    for (const s of change.upsert)
      await sql.execute(
        'INSERT INTO salvos (name, description, connections, on_failure, synchronised, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [s.name, s.description, json(s.connections), s.on_failure, s.synchronised, json(s.created_by), s.updated_at],
      );
  }
}

const ScheduleItem = checkedAs(
  z.strictObject({
    id: storedUuid,
    salvo_name: z.string().nullable(),
    salvo: z.unknown(),
    fire_at: storedTime,
    created_by: storedActor,
    created_at: storedTime,
  }),
  z.strictObject({ salvo: SalvoRequest }),
  (s) => ({ salvo: s.salvo }),
);
type ScheduleItem = z.infer<typeof ScheduleItem>;

/** Schedules still to fire (fired and failed ones are history, kept in the audit, not configuration). */
@Injectable()
export class SchedulesBackupSection implements BackupSection<ScheduleItem> {
  readonly name = 'schedules';
  readonly item = ScheduleItem;

  key(schedule: ScheduleItem): string {
    return schedule.id;
  }

  read(sql: Sql): Promise<ScheduleItem[]> {
    return readBackupItems(
      sql,
      `SELECT jsonb_build_object('id', id, 'salvo_name', salvo_name, 'salvo', salvo, 'fire_at', fire_at, 'created_by', created_by,
         'created_at', created_at) AS item FROM controller_schedules WHERE state = 'pending' ORDER BY fire_at, id`,
    );
  }

  async write(sql: Sql, change: SectionChange<ScheduleItem>): Promise<void> {
    if (change.remove.length > 0)
      await sql.execute(
        `UPDATE controller_schedules SET state = 'cancelled', result = '{"reason":"removed by a restore"}' WHERE state = 'pending' AND id = ANY($1::uuid[])`,
        [change.remove],
      );
    await sql.execute('DELETE FROM controller_schedules WHERE id = ANY($1::uuid[])', [change.upsert.map((s) => s.id)]);
    for (const s of change.upsert)
      await sql.execute(
        `INSERT INTO controller_schedules (id, salvo_name, salvo, fire_at, state, created_by, created_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6)`,
        [s.id, s.salvo_name, json(s.salvo), s.fire_at, json(s.created_by), s.created_at],
      );
  }
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
