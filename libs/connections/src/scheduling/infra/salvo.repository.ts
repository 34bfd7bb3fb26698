import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { NamedSalvoRequest, SalvoRequest } from '../../domain/requests.js';
import type { NamedSalvo, ControllerSchedule } from '../domain/salvo-records.js';

export type { NamedSalvo, ControllerSchedule };

const SALVO_COLUMNS = 'name, description, connections, on_failure, synchronised, created_by, updated_at';

/** Saved salvos and the controller-side schedules that fire them. */
@Injectable()
export class SalvoRepository {
  async list(sql: Sql): Promise<NamedSalvo[]> {
    return sql.query<NamedSalvo & Record<string, unknown>>(`SELECT ${SALVO_COLUMNS} FROM salvos ORDER BY name`);
  }

  async get(sql: Sql, name: string): Promise<NamedSalvo | undefined> {
    const [row] = await sql.query<NamedSalvo & Record<string, unknown>>(`SELECT ${SALVO_COLUMNS} FROM salvos WHERE name = $1`, [name]);
    return row;
  }

  /** The saved salvo under a name, with that name locked until the transaction ends (it may not exist yet). */
  async lockAndGet(sql: Sql, name: string): Promise<NamedSalvo | undefined> {
    await sql.query("SELECT pg_advisory_xact_lock(hashtext('salvo:' || $1))", [name]);
    return this.get(sql, name);
  }

  async save(sql: Sql, salvo: NamedSalvoRequest, createdBy: unknown): Promise<NamedSalvo> {
    const [row] = await sql.query<NamedSalvo & Record<string, unknown>>(
      `INSERT INTO salvos (name, description, connections, on_failure, synchronised, created_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, connections = EXCLUDED.connections, on_failure = EXCLUDED.on_failure,
         synchronised = EXCLUDED.synchronised, created_by = EXCLUDED.created_by, updated_at = now()
       RETURNING ${SALVO_COLUMNS}`,
      [
        salvo.name,
        salvo.description ?? '',
        JSON.stringify(salvo.connections),
        salvo.on_failure ?? 'rollback',
        salvo.synchronised ?? false,
        JSON.stringify(createdBy),
      ],
    );
    return row;
  }

  async remove(sql: Sql, name: string): Promise<boolean> {
    return (await sql.execute('DELETE FROM salvos WHERE name = $1', [name])) === 1;
  }

  async addSchedule(sql: Sql, salvoName: string | null, salvo: SalvoRequest, fireAt: Date, createdBy: unknown): Promise<ControllerSchedule> {
    const [row] = await sql.query<ControllerSchedule & Record<string, unknown>>(
      `INSERT INTO controller_schedules (salvo_name, salvo, fire_at, state, created_by) VALUES ($1, $2, $3, 'pending', $4) RETURNING *`,
      [salvoName, JSON.stringify(salvo), fireAt, JSON.stringify(createdBy)],
    );
    return row;
  }

  async schedules(sql: Sql, state?: string): Promise<ControllerSchedule[]> {
    return sql.query<ControllerSchedule & Record<string, unknown>>(
      'SELECT * FROM controller_schedules WHERE ($1::text IS NULL OR state = $1) ORDER BY fire_at DESC LIMIT 1000',
      [state ?? null],
    );
  }

  async lockSchedule(sql: Sql, id: string): Promise<ControllerSchedule | undefined> {
    const [row] = await sql.query<ControllerSchedule & Record<string, unknown>>('SELECT * FROM controller_schedules WHERE id::text = $1 FOR UPDATE', [id]);
    return row;
  }

  async cancelSchedule(sql: Sql, id: string): Promise<ControllerSchedule | undefined> {
    const [row] = await sql.query<ControllerSchedule & Record<string, unknown>>(
      `UPDATE controller_schedules SET state = 'cancelled' WHERE id::text = $1 AND state = 'pending' RETURNING *`,
      [id],
    );
    return row;
  }

  async schedule(sql: Sql, id: string): Promise<ControllerSchedule | undefined> {
    const [row] = await sql.query<ControllerSchedule & Record<string, unknown>>('SELECT * FROM controller_schedules WHERE id::text = $1', [id]);
    return row;
  }

  /** Schedules too late to fire (beyond the missed window) become `missed`. */
  async markMissed(sql: Sql, windowSeconds: number): Promise<ControllerSchedule[]> {
    return sql.query<ControllerSchedule & Record<string, unknown>>(
      `UPDATE controller_schedules SET state = 'missed', result = jsonb_build_object('reason', 'no replica could fire it within the missed window')
       WHERE state = 'pending' AND fire_at < now() - make_interval(secs => $1) RETURNING *`,
      [windowSeconds],
    );
  }

  /** Claims one due schedule: committed before it fires, so it is fired at most once. */
  async claimDue(sql: Sql, holder: string): Promise<ControllerSchedule | undefined> {
    const [row] = await sql.query<ControllerSchedule & Record<string, unknown>>(
      `UPDATE controller_schedules SET state = 'firing', claimed_by = $1, claimed_at = now()
       WHERE id = (SELECT id FROM controller_schedules WHERE state = 'pending' AND fire_at <= now() ORDER BY fire_at FOR UPDATE SKIP LOCKED LIMIT 1)
       RETURNING *`,
      [holder],
    );
    return row;
  }

  async finish(sql: Sql, id: string, state: 'fired' | 'failed', result: unknown): Promise<void> {
    await sql.execute(`UPDATE controller_schedules SET state = $2, result = $3 WHERE id = $1 AND state = 'firing'`, [id, state, JSON.stringify(result)]);
  }

  /** Schedules a previous holder claimed and never finished: their outcome is unknown, so they are not fired again. */
  async interruptOthers(sql: Sql, holder: string): Promise<ControllerSchedule[]> {
    return sql.query<ControllerSchedule & Record<string, unknown>>(
      `UPDATE controller_schedules SET state = 'interrupted', result = jsonb_build_object('reason', 'the replica firing it stopped; check the receivers'' state')
       WHERE state = 'firing' AND claimed_by <> $1 RETURNING *`,
      [holder],
    );
  }

  /** Whether any pending schedule's time has come (a cheap read, so an idle scheduler writes nothing). */
  async anyDue(sql: Sql): Promise<boolean> {
    const [row] = await sql.query<{ due: boolean }>(`SELECT EXISTS (SELECT 1 FROM controller_schedules WHERE state = 'pending' AND fire_at <= now()) AS due`);
    return row.due;
  }
}
