import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { ActiveCondition } from '#health';
import type { AlertHook, HookInput } from '../domain/alert-hook.js';
import type { StoredAlert } from '../domain/alert-transitions.js';
import type { AlertNotification } from '../domain/notification.js';

const HOOK_COLUMNS = 'id, name, url, format, secret, alerts, enabled, created_by, created_at, updated_at';

export interface DeliveryRecord {
  id: string;
  hook_id: string;
  alert_key: string;
  status: AlertNotification['status'];
  dedupe_key: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

/** A delivery due now, with what is needed to send it. */
export interface DueDelivery {
  id: string;
  attempts: number;
  payload: AlertNotification;
  url: string;
  format: AlertHook['format'];
  secret: string | null;
}

export interface AlertRecord extends StoredAlert {
  state: 'firing' | 'resolved';
  resolved_at: string | null;
}

/** SQL for hooks, alert state, the delivery log and the replicas' reports. */
@Injectable()
export class AlertsRepository {
  listHooks(sql: Sql): Promise<AlertHook[]> {
    return sql.query<AlertHook & Record<string, unknown>>(`SELECT ${HOOK_COLUMNS} FROM alert_hooks ORDER BY lower(name)`);
  }

  async findHook(sql: Sql, id: string, forUpdate = false): Promise<AlertHook | undefined> {
    const [hook] = await sql.query<AlertHook & Record<string, unknown>>(
      `SELECT ${HOOK_COLUMNS} FROM alert_hooks WHERE id::text = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return hook;
  }

  async nameTaken(sql: Sql, name: string, exceptId?: string): Promise<boolean> {
    return (await sql.query('SELECT 1 FROM alert_hooks WHERE lower(name) = lower($1) AND id::text IS DISTINCT FROM $2', [name, exceptId ?? null])).length > 0;
  }

  async insertHook(sql: Sql, hook: HookInput, createdBy: AlertHook['created_by']): Promise<AlertHook> {
    const [row] = await sql.query<AlertHook & Record<string, unknown>>(
      `INSERT INTO alert_hooks (name, url, format, secret, alerts, enabled, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${HOOK_COLUMNS}`,
      [hook.name, hook.url, hook.format, hook.secret, hook.alerts, hook.enabled, JSON.stringify(createdBy)],
    );
    return row;
  }

  async updateHook(sql: Sql, hook: AlertHook): Promise<AlertHook> {
    const [row] = await sql.query<AlertHook & Record<string, unknown>>(
      `UPDATE alert_hooks SET name = $2, url = $3, format = $4, secret = $5, alerts = $6, enabled = $7, updated_at = now() WHERE id = $1 RETURNING ${HOOK_COLUMNS}`,
      [hook.id, hook.name, hook.url, hook.format, hook.secret, hook.alerts, hook.enabled],
    );
    return row;
  }

  async deleteHook(sql: Sql, id: string): Promise<boolean> {
    return (await sql.execute('DELETE FROM alert_hooks WHERE id::text = $1', [id])) === 1;
  }

  firing(sql: Sql, lock: boolean): Promise<StoredAlert[]> {
    return sql.query<StoredAlert & Record<string, unknown>>(
      `SELECT key, alert, subject, severity, summary, to_json(started_at) #>> '{}' AS started_at FROM alert_state WHERE state = 'firing' ORDER BY key${lock ? ' FOR UPDATE' : ''}`,
    );
  }

  /** Firing alerts, then the latest resolved ones. */
  recent(sql: Sql, limit: number): Promise<AlertRecord[]> {
    return sql.query<AlertRecord & Record<string, unknown>>(
      `SELECT key, alert, subject, severity, summary, state, to_json(started_at) #>> '{}' AS started_at, to_json(resolved_at) #>> '{}' AS resolved_at FROM alert_state
       ORDER BY state = 'firing' DESC, coalesce(resolved_at, started_at) DESC LIMIT $1`,
      [limit],
    );
  }

  /** Marks the alert firing from now; answers the start time as stored. */
  async fire(sql: Sql, key: string, c: ActiveCondition): Promise<string> {
    const [{ started_at }] = await sql.query<{ started_at: string }>(
      `INSERT INTO alert_state (key, alert, subject, severity, summary, state, started_at, resolved_at) VALUES ($1, $2, $3, $4, $5, 'firing', now(), NULL)
       ON CONFLICT (key) DO UPDATE SET alert = EXCLUDED.alert, subject = EXCLUDED.subject, severity = EXCLUDED.severity, summary = EXCLUDED.summary,
         state = 'firing', started_at = EXCLUDED.started_at, resolved_at = NULL
       RETURNING to_json(started_at) #>> '{}' AS started_at`,
      [key, c.alert, c.subject ?? null, c.severity, c.summary],
    );
    return started_at;
  }

  async resolve(sql: Sql, key: string): Promise<string> {
    const [{ resolved_at }] = await sql.query<{ resolved_at: string }>(
      `UPDATE alert_state SET state = 'resolved', resolved_at = now() WHERE key = $1 RETURNING to_json(resolved_at) #>> '{}' AS resolved_at`,
      [key],
    );
    return resolved_at;
  }

  /** Records an alert that started and ended while nothing could be recorded (the primary unreachable). */
  async recordPast(sql: Sql, n: AlertNotification): Promise<void> {
    await sql.execute(
      `INSERT INTO alert_state (key, alert, subject, severity, summary, state, started_at, resolved_at) VALUES ($1, $2, $3, $4, $5, 'resolved', $6, $7)
       ON CONFLICT (key) DO UPDATE SET summary = EXCLUDED.summary, state = 'resolved', started_at = EXCLUDED.started_at, resolved_at = EXCLUDED.resolved_at`,
      [n.key, n.alert, n.subject, n.severity, n.summary, n.started_at, n.resolved_at],
    );
  }

  /** One delivery per hook; a notification already queued for a hook is not queued twice. */
  async queue(sql: Sql, hookIds: string[], n: AlertNotification): Promise<void> {
    if (hookIds.length === 0) return;
    await sql.execute(
      `INSERT INTO alert_deliveries (hook_id, alert_key, status, dedupe_key, payload, state)
       SELECT unnest($1::uuid[]), $2, $3, $4, $5, 'pending' ON CONFLICT (hook_id, dedupe_key) DO NOTHING`,
      [hookIds, n.key, n.status, n.dedupe_key, JSON.stringify(n)],
    );
  }

  /** Logs a delivery made without the database (during a primary outage), as it went. */
  async logDelivered(
    sql: Sql,
    hookId: string,
    n: AlertNotification,
    outcome: { state: 'delivered' | 'failed'; attempts: number; status: number | null; error: string | null; at: Date },
  ): Promise<void> {
    await sql.execute(
      `INSERT INTO alert_deliveries (hook_id, alert_key, status, dedupe_key, payload, state, attempts, last_status, last_error, created_at, delivered_at)
       SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $6 = 'delivered' THEN $10::timestamptz END FROM alert_hooks WHERE id = $1
       ON CONFLICT (hook_id, dedupe_key) DO NOTHING`,
      [hookId, n.key, n.status, n.dedupe_key, JSON.stringify(n), outcome.state, outcome.attempts, outcome.status, outcome.error, outcome.at],
    );
  }

  /** Takes up to `limit` due deliveries, hiding them from the next claim for `holdSeconds` while they are sent. */
  claimDue(sql: Sql, limit: number, holdSeconds: number): Promise<DueDelivery[]> {
    return sql.query<DueDelivery & Record<string, unknown>>(
      `WITH due AS (
         SELECT id FROM alert_deliveries WHERE state = 'pending' AND next_attempt_at <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       UPDATE alert_deliveries d SET next_attempt_at = now() + make_interval(secs => $2)
       FROM due, alert_hooks h WHERE d.id = due.id AND h.id = d.hook_id
       RETURNING d.id::text, d.attempts, d.payload, h.url, h.format, h.secret`,
      [limit, holdSeconds],
    );
  }

  async delivered(sql: Sql, id: string, status: number): Promise<void> {
    await sql.execute(
      `UPDATE alert_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = $2, last_error = NULL, delivered_at = now() WHERE id = $1`,
      [id, status],
    );
  }

  /** A failed attempt: retried after `retryMs`, or given up when it was the last. */
  async attemptFailed(sql: Sql, id: string, status: number | null, error: string, retryMs: number | null): Promise<void> {
    await sql.execute(
      `UPDATE alert_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3,
         state = CASE WHEN $4::float8 IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN $4::float8 IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $4::float8 / 1000) END
       WHERE id = $1`,
      [id, status, error.slice(0, 500), retryMs],
    );
  }

  deliveries(sql: Sql, hookId: string | undefined, limit: number): Promise<DeliveryRecord[]> {
    return sql.query<DeliveryRecord & Record<string, unknown>>(
      `SELECT id::text, hook_id, alert_key, status, dedupe_key, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at
       FROM alert_deliveries WHERE $1::uuid IS NULL OR hook_id = $1::uuid ORDER BY id DESC LIMIT $2`,
      [hookId ?? null, limit],
    );
  }

  async report(sql: Sql, instance: string, conditions: ActiveCondition[]): Promise<void> {
    await sql.execute(
      `INSERT INTO alert_replica_reports (instance, conditions, reported_at) VALUES ($1, $2, now())
       ON CONFLICT (instance) DO UPDATE SET conditions = EXCLUDED.conditions, reported_at = now()`,
      [instance, JSON.stringify(conditions)],
    );
  }

  async withdraw(sql: Sql, instance: string): Promise<void> {
    await sql.execute('DELETE FROM alert_replica_reports WHERE instance = $1', [instance]);
  }

  /** What each live replica reported about itself (reports older than `freshSeconds` are from replicas gone). */
  reports(sql: Sql, freshSeconds: number): Promise<Array<{ instance: string; conditions: ActiveCondition[]; reported_at: Date }>> {
    return sql.query<{ instance: string; conditions: ActiveCondition[]; reported_at: Date }>(
      `SELECT instance, conditions, reported_at FROM alert_replica_reports WHERE reported_at > now() - make_interval(secs => $1) ORDER BY instance`,
      [freshSeconds],
    );
  }
}
