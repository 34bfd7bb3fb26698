import { Injectable } from '@nestjs/common';
import { AppConfig } from '#config';

/** A device's IS-05 Connection API: its hrefs in the order to try (multi-homed devices list several). */
export interface ConnectionApi {
  deviceId: string;
  hrefs: string[];
}

export interface DeviceAnswer {
  status: number;
  body: unknown;
}

/** The device answered with an error, did not answer in time, or could not be reached on any href. */
export class DeviceFailure extends Error {
  constructor(
    readonly kind: 'refused' | 'timeout' | 'unreachable',
    message: string,
    readonly answer?: DeviceAnswer,
  ) {
    super(message);
  }
}

/** Codes that mean "no bulk API here" rather than "the request was bad". */
export const BULK_UNSUPPORTED = new Set([404, 405, 501]);

/**
 * HTTP to devices, nothing else. Each request has DEVICE_TIMEOUT_MS. An href that refuses the connection
 * is skipped for the next one (the request never reached the device, so trying elsewhere cannot act
 * twice); the href that worked is tried first next time.
 */
@Injectable()
export class DeviceGateway {
  private readonly timeoutMs: number;
  private readonly preferred = new Map<string, string>();

  constructor(config: AppConfig) {
    this.timeoutMs = config.routing.deviceTimeoutMs;
  }

  getActive(api: ConnectionApi, receiverId: string): Promise<DeviceAnswer> {
    return this.call(api, 'GET', `single/receivers/${receiverId}/active`);
  }

  getConstraints(api: ConnectionApi, receiverId: string): Promise<DeviceAnswer> {
    return this.call(api, 'GET', `single/receivers/${receiverId}/constraints`);
  }

  patchStaged(api: ConnectionApi, receiverId: string, patch: unknown): Promise<DeviceAnswer> {
    return this.call(api, 'PATCH', `single/receivers/${receiverId}/staged`, patch);
  }

  getSenderConstraints(api: ConnectionApi, senderId: string): Promise<DeviceAnswer> {
    return this.call(api, 'GET', `single/senders/${senderId}/constraints`);
  }

  getSenderActive(api: ConnectionApi, senderId: string): Promise<DeviceAnswer> {
    return this.call(api, 'GET', `single/senders/${senderId}/active`);
  }

  patchSenderStaged(api: ConnectionApi, senderId: string, patch: unknown): Promise<DeviceAnswer> {
    return this.call(api, 'PATCH', `single/senders/${senderId}/staged`, patch);
  }

  /** POST /bulk/receivers; answers the raw reply so the caller can fall back when bulk is unsupported. */
  bulkReceivers(api: ConnectionApi, items: Array<{ id: string; params: unknown }>): Promise<DeviceAnswer> {
    return this.call(api, 'POST', 'bulk/receivers', items, { acceptErrors: true });
  }

  /** The sender's SDP from its manifest_href. */
  async fetchText(url: string): Promise<string> {
    const response = await this.fetch(url, { method: 'GET' });
    const text = await response.text();
    if (!response.ok) throw new DeviceFailure('refused', `${url} answered ${response.status}`, { status: response.status, body: text.slice(0, 2000) });
    return text;
  }

  private async call(api: ConnectionApi, method: string, path: string, body?: unknown, options: { acceptErrors?: boolean } = {}): Promise<DeviceAnswer> {
    const hrefs = this.ordered(api);
    let lastError: unknown;
    for (const href of hrefs) {
      const url = `${href}/${path}`;
      let response: Response;
      try {
        response = await this.fetch(url, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        if (err instanceof DeviceFailure && err.kind === 'unreachable') {
          lastError = err;
          continue;
        }
        throw err;
      }
      this.preferred.set(api.deviceId, href);
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // keep the text: a device's non-JSON error page is still worth showing
      }
      const answer = { status: response.status, body: parsed };
      if (response.status >= 400 && !options.acceptErrors) throw new DeviceFailure('refused', `${method} ${url} answered ${response.status}`, answer);
      return answer;
    }
    throw lastError instanceof Error ? lastError : new DeviceFailure('unreachable', `device ${api.deviceId} has no connection API href`);
  }

  private ordered(api: ConnectionApi): string[] {
    const first = this.preferred.get(api.deviceId);
    return first && api.hrefs.includes(first) ? [first, ...api.hrefs.filter((h) => h !== first)] : api.hrefs;
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const error = err as Error & { cause?: { code?: string } };
      if (error.name === 'TimeoutError' || error.name === 'AbortError')
        throw new DeviceFailure('timeout', `${init.method} ${url}: no answer within ${this.timeoutMs} ms`);
      const code = error.cause?.code ?? '';
      if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code))
        throw new DeviceFailure('unreachable', `${init.method} ${url}: ${code}`);
      throw new DeviceFailure('timeout', `${init.method} ${url}: ${error.cause ? String((error.cause as Error).message ?? code) : error.message}`);
    }
  }
}
