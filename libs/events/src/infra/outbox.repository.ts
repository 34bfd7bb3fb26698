import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Sql } from '#database';
import type { NewEvent, StoredEvent } from '../domain/event.js';

/** NOTIFY'd by every transaction that records an event (delivered at its commit), LISTENed to by the relay. */
export const OUTBOX_CHANNEL = 'events_outbox';
/** NOTIFY'd when the relay numbers events (at its commit): they can be read in order from then on (the live stream). */
export const SEQUENCED_CHANNEL = 'events_sequenced';

const COLUMNS = 'id, seq, type, subject_kind, subject_id, topic, retained, clears_retained, payload, actor, committed_at';
/** Any fixed number: sequence numbers are handed out by one transaction at a time. */
const SEQUENCE_LOCK = 7_364_201_604;
/** Events per INSERT of insertMany: bounded statement size whatever the batch. */
const INSERT_CHUNK = 2_000;

@Injectable()
export class OutboxRepository {
  /** One event; its id. */
  async insert(sql: Sql, event: NewEvent): Promise<string> {
    return (await this.insertMany(sql, [event]))[0];
  }

  /**
   * Events in one statement per chunk, in order, each statement with the NOTIFY that wakes the relay
   * when this transaction commits (PostgreSQL folds identical notifications of one transaction into
   * one). A registry snapshot records one event per resource: a round trip each (50,000 of them) was
   * most of a plant's sync time. Answers the events' ids.
   */
  async insertMany(sql: Sql, events: NewEvent[]): Promise<string[]> {
    const ids = events.map(() => randomUUID());
    for (let start = 0; start < events.length; start += INSERT_CHUNK) {
      const chunk = events.slice(start, start + INSERT_CHUNK);
      // One JSON document per chunk: parsed once by PostgreSQL, payloads kept as jsonb (no text array to
      // escape and parse element by element).
      await sql.query(
        `WITH inserted AS (
           INSERT INTO events (id, type, subject_kind, subject_id, topic, retained, clears_retained, payload, actor)
           SELECT u.i, u.t, u.sk, u.si, u.tp, u.r, u.c, u.p, u.a
           FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (i uuid, t text, sk text, si text, tp text, r boolean, c boolean, p jsonb, a jsonb))
             WITH ORDINALITY AS u(i, t, sk, si, tp, r, c, p, a, n)
           ORDER BY u.n
           RETURNING 1
         )
         SELECT pg_notify('${OUTBOX_CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM inserted)`,
        [
          JSON.stringify(
            chunk.map((e, index) => ({
              i: ids[start + index],
              t: e.type,
              sk: e.subject.kind,
              si: e.subject.id,
              tp: e.topic,
              r: e.retained && !e.clearsRetained,
              c: e.clearsRetained ?? false,
              p: e.payload,
              a: e.actor ?? null,
            })),
          ),
        ],
      );
    }
    return ids;
  }

  /**
   * An INSERT, for a data-modifying CTE in the caller's statement, of the events that `rows` (a query
   * of that statement) answers as columns `type, subject_kind, subject_id, topic, retained, payload,
   * ord`, recorded in `ord` order. For events built from rows the same statement writes (a registry
   * snapshot's tens of thousands): their payloads never leave PostgreSQL. The caller wakes the relay.
   */
  insertFromRowsSql(rows: string): string {
    return `INSERT INTO events (id, type, subject_kind, subject_id, topic, retained, clears_retained, payload, actor)
            SELECT gen_random_uuid(), e.type, e.subject_kind, e.subject_id, e.topic, e.retained, false, e.payload, NULL
            FROM (${rows}) e ORDER BY e.ord`;
  }

  async notifyRelay(sql: Sql): Promise<void> {
    await sql.execute(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  }

  /**
   * The next events to publish, in sequence order: those numbered but not yet acknowledged first (after a
   * broker outage or a relay takeover), then newly committed ones, numbered now, gap-free.
   */
  async nextBatch(sql: Sql, limit: number): Promise<StoredEvent[]> {
    await sql.query('SELECT pg_advisory_xact_lock($1)', [SEQUENCE_LOCK]);
    const pending = await sql.query<StoredEvent & Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM events WHERE seq IS NOT NULL AND sent_at IS NULL ORDER BY seq LIMIT $1`,
      [limit],
    );
    if (pending.length >= limit) return pending;
    const fresh = await sql.query<{ id: string }>('SELECT id FROM events WHERE seq IS NULL ORDER BY position LIMIT $1', [limit - pending.length]);
    if (fresh.length === 0) return pending;
    const [{ last }] = await sql.query<{ last: string }>('SELECT COALESCE(max(seq), 0) AS last FROM events');
    const numbered = await sql.query<StoredEvent & Record<string, unknown>>(
      `UPDATE events e SET seq = $1::bigint + n.ord FROM unnest($2::uuid[]) WITH ORDINALITY AS n(id, ord)
       WHERE e.id = n.id RETURNING ${COLUMNS.split(', ')
         .map((c) => `e.${c}`)
         .join(', ')}`,
      [last, fresh.map((f) => f.id)],
    );
    await sql.query(`SELECT pg_notify('${SEQUENCED_CHANNEL}', '')`);
    return [...pending, ...numbered.sort((a, b) => Number(a.seq) - Number(b.seq))];
  }

  async markSent(sql: Sql, ids: string[]): Promise<void> {
    await sql.execute('UPDATE events SET sent_at = now() WHERE id = ANY($1::uuid[]) AND sent_at IS NULL', [ids]);
  }

  /** What was acknowledged lately, for republishing on another broker of a pair whose bridge may have lost it. */
  async sentSince(sql: Sql, seconds: number): Promise<StoredEvent[]> {
    return sql.query<StoredEvent & Record<string, unknown>>(`SELECT ${COLUMNS} FROM events WHERE sent_at > now() - make_interval(secs => $1) ORDER BY seq`, [
      seconds,
    ]);
  }

  /** Filtered before the limit, so a page is full whenever more events follow. */
  async after(sql: Sql, seq: number, limit: number, hiddenTopicPrefixes: string[] = []): Promise<StoredEvent[]> {
    return sql.query<StoredEvent & Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM events WHERE seq > $1 AND NOT (topic LIKE ANY ($3::text[])) ORDER BY seq LIMIT $2`,
      [seq, limit, hiddenTopicPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`)],
    );
  }

  async latestSeq(sql: Sql): Promise<number> {
    const [row] = await sql.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM events');
    return Number(row.seq ?? 0);
  }

  async prune(sql: Sql, retentionSeconds: number): Promise<number> {
    return sql.execute('DELETE FROM events WHERE sent_at < now() - make_interval(secs => $1)', [retentionSeconds]);
  }

  async backlog(sql: Sql): Promise<{ count: number; oldest_seconds: number | null }> {
    const [row] = await sql.query<{ count: number; oldest_seconds: number | null }>(
      // Unsent is "not numbered yet" or "numbered, not acknowledged": each has its partial index, so a
      // probe reads the backlog, never the whole retained history.
      `SELECT count(*)::int AS count, EXTRACT(EPOCH FROM now() - min(committed_at))::float8 AS oldest_seconds
       FROM (SELECT committed_at FROM events WHERE seq IS NULL
             UNION ALL SELECT committed_at FROM events WHERE seq IS NOT NULL AND sent_at IS NULL) unsent`,
    );
    return row;
  }
}
