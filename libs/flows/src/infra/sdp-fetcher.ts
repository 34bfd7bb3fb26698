import { Injectable } from '@nestjs/common';
import { DomainError } from '#common';
import { AppConfig } from '#config';

/** Largest SDP accepted: a real one is a few KB. */
const MAX_SDP_BYTES = 65_536;

/** GETs a sender's SDP (its manifest_href or a flow's sdp_url), within the device timeout. */
@Injectable()
export class SdpFetcher {
  constructor(private readonly config: AppConfig) {}

  async fetch(url: string): Promise<string> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.config.routing.deviceTimeoutMs), headers: { accept: 'application/sdp, text/plain' } });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new DomainError(timedOut ? 'gateway_timeout' : 'bad_gateway', timedOut ? 'sdp_timeout' : 'sdp_unreachable', `${url}: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok)
      throw new DomainError('bad_gateway', 'sdp_refused', `${url} answered ${response.status}`, {
        extra: { status: response.status, body: text.slice(0, 2000) },
      });
    if (Buffer.byteLength(text) > MAX_SDP_BYTES) throw new DomainError('bad_gateway', 'invalid_sdp', `${url}: the SDP is over ${MAX_SDP_BYTES} bytes`);
    return text;
  }
}
