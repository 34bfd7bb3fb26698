/** What a module records: the change it made, in the same transaction as the change. */
export interface NewEvent {
  /** Dotted, past tense: `nmos.resource.added`, `registry.state.changed`, `user.deleted`, ... */
  type: string;
  subject: { kind: string; id: string };
  /** Below MQTT_TOPIC_PREFIX, e.g. `nmos/senders/<id>`. */
  topic: string;
  /** Current-state topics are retained, so a late subscriber sees the present state. */
  retained: boolean;
  /**
   * The subject is gone (a flow deleted): the event is published not retained, then the retained
   * message on its topic is cleared (a zero-length retained publish), so a late subscriber sees nothing.
   */
  clearsRetained?: boolean;
  payload: Record<string, unknown>;
  /** The user or API token, and request, that caused it, where there is one. */
  actor?: { kind: string; id: string; name: string; request_id?: string };
}

/** An event as published on MQTT and served by GET /api/events: the same JSON in both places. */
export interface PublishedEvent {
  id: string;
  seq: number;
  type: string;
  subject: { kind: string; id: string };
  timestamp: string;
  actor?: NewEvent['actor'];
  [key: string]: unknown;
}

export interface StoredEvent {
  id: string;
  seq: string;
  type: string;
  subject_kind: string;
  subject_id: string;
  topic: string;
  retained: boolean;
  clears_retained: boolean;
  payload: Record<string, unknown>;
  actor: NewEvent['actor'] | null;
  committed_at: Date;
}

export function toPublished(row: StoredEvent): PublishedEvent {
  return {
    ...row.payload,
    id: row.id,
    seq: Number(row.seq),
    type: row.type,
    subject: { kind: row.subject_kind, id: row.subject_id },
    timestamp: row.committed_at.toISOString(),
    ...(row.actor ? { actor: row.actor } : {}),
  };
}

/** A name as one MQTT topic level: no level separator and no wildcard. */
export function topicSegment(name: string): string {
  return name.replace(/[/+#\u0000]/g, '_');
}
