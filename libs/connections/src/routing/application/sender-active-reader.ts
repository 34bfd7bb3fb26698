import { Injectable } from '@nestjs/common';
import { NmosQueryService } from '#registry';
import { DeviceGateway } from '../infra/device-gateway.js';
import { connectionHrefs } from './target-resolver.js';

/**
 * A sender's IS-05 `/active` as its device answers it, for modules that follow what senders do (the
 * IS-07 directory reads where an MQTT sender publishes): the device's Connection API from the merged
 * view, its hrefs in turn, DEVICE_TIMEOUT_MS each. Rejects when the device has no Connection API, does
 * not answer or refuses.
 */
@Injectable()
export class SenderActiveReader {
  constructor(
    private readonly nmos: NmosQueryService,
    private readonly gateway: DeviceGateway,
  ) {}

  async read(sender: { id: string; device_id: string }): Promise<unknown> {
    const [device] = await this.nmos.some('devices', [sender.device_id]);
    const hrefs = connectionHrefs(device?.resource);
    if (hrefs.length === 0) throw new Error(`device ${sender.device_id} advertises no IS-05 Connection API`);
    return (await this.gateway.getSenderActive({ deviceId: sender.device_id, hrefs }, sender.id)).body;
  }
}
