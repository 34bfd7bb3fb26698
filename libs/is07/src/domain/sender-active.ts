import { z } from 'zod';
import type { SenderTopics } from './event-sender.js';

const AUTO = z.literal('auto');

/** What the IS-07 directory reads of an MQTT sender's IS-05 `/active` (sender_transport_params_mqtt.json). */
export const MqttSenderActive = z.object({
  master_enable: z.boolean(),
  transport_params: z
    .array(
      z.looseObject({
        destination_host: z.union([z.string().min(1), z.null()]),
        destination_port: z.union([z.number().int().min(1).max(65535), AUTO]),
        broker_protocol: z.enum(['auto', 'mqtt', 'secure-mqtt']).optional(),
        broker_topic: z.union([z.string().min(1), z.null()]),
        connection_status_broker_topic: z.union([z.string().min(1), z.null()]).optional(),
      }),
    )
    .length(1),
});

/** Where the sender publishes, from its parsed `/active`: host `auto` and port null mean the sender chooses its broker. */
export function senderTopics(active: z.infer<typeof MqttSenderActive>): SenderTopics {
  const [params] = active.transport_params;
  return {
    broker: {
      host: params.destination_host,
      port: params.destination_port === 'auto' ? null : params.destination_port,
      protocol: params.broker_protocol ?? 'auto',
    },
    topic: params.broker_topic,
    statusTopic: params.connection_status_broker_topic ?? null,
    enabled: active.master_enable,
  };
}
