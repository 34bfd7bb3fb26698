/** Why this replica does not follow an IS-07 sender's topics (null: it does). */
export type NotFollowedReason =
  /** Its /active has no broker or topic yet, or the sender is disabled (master_enable false). */
  | 'not_configured'
  /** It publishes to a broker this controller is not connected to (MQTT_BROKER_URL). */
  | 'other_broker'
  /** Its device's IS-05 API did not answer, or answered what IS-05 does not allow. */
  | 'device_unreachable'
  /** Another sender already publishes on the same topic: its messages could not be told apart. */
  | 'topic_shared';

/** Where an IS-07 MQTT sender publishes, as its device's IS-05 `/active` says. */
export interface SenderTopics {
  /** host: null until configured, `auto` when the sender finds its broker itself; port null: `auto`. */
  broker: { host: string | null; port: number | null; protocol: string };
  topic: string | null;
  statusTopic: string | null;
  enabled: boolean;
}

/** The last state an IS-07 sender published, as recorded (GET /api/event-senders). */
export interface RecordedState {
  event_type: string;
  payload: { value: boolean | number | string; scale?: number };
  source_id: string;
  flow_id: string;
  creation_timestamp: string;
  origin_timestamp: string | null;
  received_at: string;
}

/** One IS-07 sender of the merged view, where it publishes and what it last said. */
export interface EventSenderView {
  sender_id: string;
  label: string | null;
  device_id: string | null;
  flow_id: string | null;
  broker: SenderTopics['broker'] | null;
  topic: string | null;
  connection_status_topic: string | null;
  /** This replica subscribes to its topics (every replica does the same). */
  following: boolean;
  reason: NotFollowedReason | null;
  /** From its connection status topic: true while connected, false after its last will; null: never heard. */
  connected: boolean | null;
  connection_changed_at: string | null;
  state: RecordedState | null;
}
