import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { RoutingPolicy } from '../domain/policy.js';
import type { PolicyRequest } from '../../domain/requests.js';
import type { ReceiverLock, StoredPolicy } from '../domain/guard-records.js';

export type { ReceiverLock, StoredPolicy };

/** Operator locks on receivers, routing policies and the default effect. */
@Injectable()
export class GuardRepository {
  async locks(sql: Sql, receiverIds?: string[]): Promise<ReceiverLock[]> {
    return receiverIds
      ? sql.query<ReceiverLock & Record<string, unknown>>('SELECT * FROM receiver_locks WHERE receiver_id = ANY($1::text[])', [receiverIds])
      : sql.query<ReceiverLock & Record<string, unknown>>('SELECT * FROM receiver_locks ORDER BY receiver_id');
  }

  async lock(sql: Sql, receiverId: string, owner: ReceiverLock['owner'], reason: string): Promise<ReceiverLock> {
    const [row] = await sql.query<ReceiverLock & Record<string, unknown>>(
      `INSERT INTO receiver_locks (receiver_id, owner, reason) VALUES ($1, $2, $3)
       ON CONFLICT (receiver_id) DO UPDATE SET owner = EXCLUDED.owner, reason = EXCLUDED.reason, locked_at = now()
       RETURNING *`,
      [receiverId, JSON.stringify(owner), reason],
    );
    return row;
  }

  async unlock(sql: Sql, receiverId: string): Promise<ReceiverLock | undefined> {
    const [row] = await sql.query<ReceiverLock & Record<string, unknown>>('DELETE FROM receiver_locks WHERE receiver_id = $1 RETURNING *', [receiverId]);
    return row;
  }

  async policies(sql: Sql): Promise<StoredPolicy[]> {
    return sql.query<StoredPolicy & Record<string, unknown>>(
      'SELECT id, name, effect, sender, receiver, created_by, created_at FROM routing_policies ORDER BY name',
    );
  }

  async addPolicy(sql: Sql, policy: PolicyRequest, createdBy: unknown): Promise<StoredPolicy | undefined> {
    const [row] = await sql.query<StoredPolicy & Record<string, unknown>>(
      `INSERT INTO routing_policies (name, effect, sender, receiver, created_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO NOTHING RETURNING id, name, effect, sender, receiver, created_by, created_at`,
      [policy.name, policy.effect, JSON.stringify(policy.sender ?? null), JSON.stringify(policy.receiver ?? null), JSON.stringify(createdBy)],
    );
    return row;
  }

  async removePolicy(sql: Sql, id: string): Promise<StoredPolicy | undefined> {
    const [row] = await sql.query<StoredPolicy & Record<string, unknown>>(
      'DELETE FROM routing_policies WHERE id::text = $1 OR name = $1 RETURNING id, name, effect, sender, receiver, created_by, created_at',
      [id],
    );
    return row;
  }

  async defaultEffect(sql: Sql): Promise<'allow' | 'deny'> {
    const [row] = await sql.query<{ value: 'allow' | 'deny' }>(`SELECT value FROM routing_settings WHERE key = 'default_effect'`);
    return row?.value ?? 'allow';
  }

  async setDefaultEffect(sql: Sql, effect: 'allow' | 'deny'): Promise<void> {
    await sql.execute(`UPDATE routing_settings SET value = $1 WHERE key = 'default_effect'`, [JSON.stringify(effect)]);
  }
}
