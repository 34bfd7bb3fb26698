import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { DeviceSchedule } from '../../scheduling/index.js';

export type { DeviceSchedule };

export interface VerifiedConnection {
  receiver_id: string;
  sender_id: string | null;
  master_enable: boolean;
  active: Record<string, unknown>;
  verified_at: Date;
  changed_by: unknown;
  source: 'controller' | 'device';
}

/** What the controller verified on devices: each receiver's last /active, and activations scheduled on devices. */
@Injectable()
export class ConnectionStateRepository {
  async saveVerified(sql: Sql, receiverId: string, active: Record<string, unknown>, changedBy: unknown): Promise<VerifiedConnection> {
    const [row] = await sql.query<VerifiedConnection & Record<string, unknown>>(
      `INSERT INTO receiver_connections (receiver_id, sender_id, master_enable, active, changed_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (receiver_id) DO UPDATE SET sender_id = EXCLUDED.sender_id, master_enable = EXCLUDED.master_enable,
         active = EXCLUDED.active, verified_at = now(), changed_by = EXCLUDED.changed_by, source = 'controller'
       RETURNING *`,
      [receiverId, (active.sender_id as string | null) ?? null, active.master_enable === true, JSON.stringify(active), JSON.stringify(changedBy ?? null)],
    );
    return row;
  }

  /**
   * What the periodic check read on a device, unless a take of ours is in flight on the receiver or recorded
   * a newer state since the check began (that one is fresher than what the check read).
   */
  async saveObserved(sql: Sql, receiverId: string, active: Record<string, unknown>, readBefore: Date): Promise<VerifiedConnection | undefined> {
    const [row] = await sql.query<VerifiedConnection & Record<string, unknown>>(
      `INSERT INTO receiver_connections (receiver_id, sender_id, master_enable, active, source)
       SELECT $1, $2, $3, $4, 'device' WHERE NOT EXISTS (SELECT 1 FROM receiver_inflight WHERE receiver_id = $1 AND expires_at > now())
       ON CONFLICT (receiver_id) DO UPDATE SET sender_id = EXCLUDED.sender_id, master_enable = EXCLUDED.master_enable, active = EXCLUDED.active,
         verified_at = now(), changed_by = NULL, source = 'device'
       WHERE receiver_connections.verified_at < $5
       RETURNING *`,
      [receiverId, (active.sender_id as string | null) ?? null, active.master_enable === true, JSON.stringify(active), readBefore],
    );
    return row;
  }

  async verified(sql: Sql, receiverIds?: string[]): Promise<VerifiedConnection[]> {
    return receiverIds
      ? sql.query<VerifiedConnection & Record<string, unknown>>('SELECT * FROM receiver_connections WHERE receiver_id = ANY($1::text[])', [receiverIds])
      : sql.query<VerifiedConnection & Record<string, unknown>>('SELECT * FROM receiver_connections');
  }

  async addDeviceSchedule(
    sql: Sql,
    entry: Pick<DeviceSchedule, 'receiver_id' | 'sender_id' | 'mode' | 'requested_time' | 'activation_time' | 'activation_at' | 'expected' | 'created_by'>,
  ): Promise<DeviceSchedule> {
    const [row] = await sql.query<DeviceSchedule & Record<string, unknown>>(
      `INSERT INTO device_schedules (receiver_id, sender_id, mode, requested_time, activation_time, activation_at, state, expected, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING *`,
      [
        entry.receiver_id,
        entry.sender_id,
        entry.mode,
        entry.requested_time,
        entry.activation_time,
        entry.activation_at,
        JSON.stringify(entry.expected),
        JSON.stringify(entry.created_by ?? null),
      ],
    );
    return row;
  }

  async deviceSchedules(sql: Sql, state?: string): Promise<DeviceSchedule[]> {
    return state
      ? sql.query<DeviceSchedule & Record<string, unknown>>('SELECT * FROM device_schedules WHERE state = $1 ORDER BY activation_at', [state])
      : sql.query<DeviceSchedule & Record<string, unknown>>('SELECT * FROM device_schedules ORDER BY activation_at DESC LIMIT 1000');
  }

  async deviceSchedule(sql: Sql, id: string): Promise<DeviceSchedule | undefined> {
    const [row] = await sql.query<DeviceSchedule & Record<string, unknown>>('SELECT * FROM device_schedules WHERE id::text = $1', [id]);
    return row;
  }

  /** The earliest pending device-side schedule of each of these receivers (of every receiver without ids). */
  async pendingOn(sql: Sql, receiverIds?: string[]): Promise<Map<string, DeviceSchedule>> {
    const rows = await sql.query<DeviceSchedule & Record<string, unknown>>(
      `SELECT DISTINCT ON (receiver_id) * FROM device_schedules WHERE ($1::text[] IS NULL OR receiver_id = ANY($1::text[])) AND state = 'pending'
       ORDER BY receiver_id, activation_at`,
      [receiverIds ?? null],
    );
    return new Map(rows.map((row) => [row.receiver_id, row]));
  }

  /** Pending schedules whose time has passed (by `graceMs`), for verification. */
  async due(sql: Sql, graceMs: number): Promise<DeviceSchedule[]> {
    return sql.query<DeviceSchedule & Record<string, unknown>>(
      `SELECT * FROM device_schedules WHERE state = 'pending' AND activation_at <= now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY activation_at LIMIT 200`,
      [graceMs],
    );
  }

  /** Moves a pending schedule to its outcome; false if it had already settled (someone else got there first). */
  async settle(sql: Sql, id: string, state: DeviceSchedule['state'], result: unknown): Promise<boolean> {
    return (
      (await sql.execute(`UPDATE device_schedules SET state = $2, result = $3, settled_at = now() WHERE id = $1 AND state = 'pending'`, [
        id,
        state,
        JSON.stringify(result ?? null),
      ])) === 1
    );
  }
}
