import { Injectable } from '@nestjs/common';
import { AppConfig } from '#config';
import type { AlertHook } from '../domain/alert-hook.js';
import { notificationBody, signature, type AlertNotification } from '../domain/notification.js';

export type SendOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** POSTs one notification to one hook, within ALERT_DELIVERY_TIMEOUT_MS; a 2xx is delivered, anything else is retried. */
@Injectable()
export class WebhookSender {
  constructor(private readonly config: AppConfig) {}

  async send(hook: Pick<AlertHook, 'url' | 'format' | 'secret'>, notification: AlertNotification): Promise<SendOutcome> {
    const body = JSON.stringify(notificationBody(hook.format, notification));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'nmos-control-alerts',
      'x-nmos-control-dedupe-key': notification.dedupe_key,
    };
    if (hook.secret) headers['x-nmos-control-signature'] = signature(hook.secret, body);
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.config.alerts.deliveryTimeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? { ok: true, status: res.status } : { ok: false, status: res.status, error: `answered ${res.status}` };
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { ok: false, status: null, error: cause?.code ?? cause?.message ?? (err as Error).message };
    }
  }
}
