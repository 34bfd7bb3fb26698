import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { MqttTopicContext } from '#events';
import { IS07_CONNECTION_STATUS, IS07_STATE } from '../application/event-sender-directory.service.js';
import { Is07Service } from '../application/is07.service.js';

/** IS-07 senders' MQTT topics, routed here by the directory (MqttTopicsServer): raw JSON as the devices publish it. */
@Controller()
export class Is07MessagesController {
  constructor(private readonly is07: Is07Service) {}

  @EventPattern<string>(IS07_STATE)
  state(@Payload() message: unknown, @Ctx() context: MqttTopicContext): Promise<void> {
    return this.is07.onState(context.getTopic(), message);
  }

  @EventPattern<string>(IS07_CONNECTION_STATUS)
  connectionStatus(@Payload() message: unknown, @Ctx() context: MqttTopicContext): Promise<void> {
    return this.is07.onConnectionStatus(context.getTopic(), message);
  }
}
