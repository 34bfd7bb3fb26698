import { Injectable } from '@nestjs/common';
import { DeviceGateway } from '../infra/device-gateway.js';
import { TargetResolver } from './target-resolver.js';

/**
 * A sender's IS-05 `/active` as its device answers it, for modules that follow what senders do (the
 * IS-07 directory reads where an MQTT sender publishes): the device's Connection API from the merged
 * view, its hrefs in turn, DEVICE_TIMEOUT_MS each. Rejects when the sender or its Connection API is
 * unknown, or the device does not answer or refuses.
 */
@Injectable()
export class SenderActiveReader {
  constructor(
    private readonly resolver: TargetResolver,
    private readonly gateway: DeviceGateway,
  ) {}

  async read(senderId: string): Promise<unknown> {
    return (await this.gateway.getSenderActive(await this.resolver.senderApi(senderId), senderId)).body;
  }
}
