import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { EventsService } from '#events';
import type { RecordedState } from '../domain/event-sender.js';
import { parseTai } from '#common';
import type { Is07ConnectionStatus, Is07StateMessage } from '../domain/is07-message.js';

type EventRows = EventsService['fromRows'];

type StateRow = {
  sender_id: string;
  source_id: string | null;
  flow_id: string | null;
  event_type: string | null;
  payload: RecordedState['payload'] | null;
  creation_timestamp: string | null;
  origin_timestamp: string | null;
  state_received_at: Date | null;
  connected: boolean | null;
  connection_changed_at: Date | null;
};

export interface StoredSenderState {
  state: RecordedState | null;
  connected: boolean | null;
  connectionChangedAt: string | null;
}

/**
 * Each statement writes the sender's row and, when it changed what is known, the event describing it
 * (EventsService.fromRows), so a state is recorded once with its event or not at all.
 */
@Injectable()
export class SenderStateRepository {
  /**
   * A newer state than the one stored (by creation time) replaces it; an event is recorded when the
   * value or event type differs. Answers whether anything was written (false: a duplicate, an older
   * message, or the same message heard by another replica first).
   */
  async recordState(sql: Sql, events: EventRows, senderId: string, message: Is07StateMessage): Promise<{ written: boolean; changed: boolean }> {
    const [row] = await sql.query<{ written: number; changed: number }>(
      `WITH before AS (SELECT event_type, payload FROM is07_sender_states WHERE sender_id = $1),
       written AS (
         INSERT INTO is07_sender_states AS s (sender_id, source_id, flow_id, event_type, payload, creation_timestamp, origin_timestamp, creation_ns, state_received_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::numeric, now())
         ON CONFLICT (sender_id) DO UPDATE SET source_id = excluded.source_id, flow_id = excluded.flow_id, event_type = excluded.event_type,
           payload = excluded.payload, creation_timestamp = excluded.creation_timestamp, origin_timestamp = excluded.origin_timestamp,
           creation_ns = excluded.creation_ns, state_received_at = excluded.state_received_at
         WHERE s.creation_ns IS NULL OR s.creation_ns < excluded.creation_ns
         RETURNING s.*
       ),
       changed AS (
         SELECT w.* FROM written w
         WHERE NOT EXISTS (SELECT 1 FROM before b WHERE b.event_type = w.event_type AND b.payload = w.payload)
       ),
       recorded AS (
         ${events.insertSql(`
           SELECT 'is07.state.changed' AS type, 'sender' AS subject_kind, c.sender_id AS subject_id, 'is07/' || c.sender_id AS topic,
                  true AS retained, 1 AS ord,
                  jsonb_build_object('sender_id', c.sender_id, 'source_id', c.source_id, 'flow_id', c.flow_id, 'event_type', c.event_type,
                    'payload', c.payload, 'creation_timestamp', c.creation_timestamp, 'origin_timestamp', c.origin_timestamp) AS payload
           FROM changed c`)}
       )
       SELECT (SELECT count(*) FROM written)::int AS written, (SELECT count(*) FROM changed)::int AS changed`,
      [
        senderId,
        message.identity.source_id,
        message.identity.flow_id,
        message.event_type,
        JSON.stringify(message.payload),
        message.timing.creation_timestamp,
        message.timing.origin_timestamp ?? null,
        // Validated as TAI by Is07StateMessage.
        parseTai(message.timing.creation_timestamp)!.toString(),
      ],
    );
    return { written: row.written > 0, changed: row.changed > 0 };
  }

  /** A connection status that differs from the stored one is written with its event; the same one again changes nothing. */
  async recordConnection(sql: Sql, events: EventRows, senderId: string, status: Is07ConnectionStatus): Promise<boolean> {
    const [row] = await sql.query<{ changed: number }>(
      `WITH changed AS (
         INSERT INTO is07_sender_states AS s (sender_id, connected, connection_changed_at) VALUES ($1, $2, now())
         ON CONFLICT (sender_id) DO UPDATE SET connected = excluded.connected, connection_changed_at = excluded.connection_changed_at
         WHERE s.connected IS DISTINCT FROM excluded.connected
         RETURNING s.sender_id, s.connected
       ),
       recorded AS (
         ${events.insertSql(`
           SELECT 'is07.connection.changed' AS type, 'sender' AS subject_kind, c.sender_id AS subject_id,
                  'is07/' || c.sender_id || '/connection' AS topic, true AS retained, 1 AS ord,
                  jsonb_build_object('sender_id', c.sender_id, 'active', c.connected) AS payload
           FROM changed c`)}
       )
       SELECT count(*)::int AS changed FROM changed`,
      [senderId, status.active],
    );
    return row.changed > 0;
  }

  async find(sql: Sql, senderIds: string[]): Promise<Map<string, StoredSenderState>> {
    if (senderIds.length === 0) return new Map();
    const rows = await sql.query<StateRow>('SELECT * FROM is07_sender_states WHERE sender_id = ANY($1::text[])', [senderIds]);
    return new Map(rows.map((row) => [row.sender_id, toStored(row)]));
  }
}

function toStored(row: StateRow): StoredSenderState {
  return {
    state:
      row.event_type && row.payload && row.creation_timestamp && row.state_received_at
        ? {
            event_type: row.event_type,
            payload: row.payload,
            source_id: row.source_id ?? '',
            flow_id: row.flow_id ?? '',
            creation_timestamp: row.creation_timestamp,
            origin_timestamp: row.origin_timestamp,
            received_at: row.state_received_at.toISOString(),
          }
        : null,
    connected: row.connected,
    connectionChangedAt: row.connection_changed_at?.toISOString() ?? null,
  };
}
