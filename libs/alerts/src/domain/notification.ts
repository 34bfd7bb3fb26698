import { createHmac } from 'node:crypto';
import type { ActiveCondition } from '#health';

/** An alert that starts or stops, as every hook is told. */
export interface AlertNotification {
  /** `registry_down:R0`: the rule and what it is about. */
  key: string;
  alert: string;
  subject: string | null;
  severity: ActiveCondition['severity'];
  summary: string;
  status: 'firing' | 'resolved' | 'test';
  started_at: string;
  resolved_at: string | null;
  /** Same for every retry of this notification, different for the next: receivers drop repeats by it. */
  dedupe_key: string;
  /** The replica that decided. */
  instance: string;
}

export function alertKey(condition: Pick<ActiveCondition, 'alert' | 'subject'>): string {
  return condition.subject ? `${condition.alert}:${condition.subject}` : condition.alert;
}

export function dedupeKey(key: string, startedAt: string, status: AlertNotification['status']): string {
  return `${key}@${startedAt}/${status}`;
}

/** The body sent: our JSON as it is, or Slack's incoming-webhook shape (`text`, plus the JSON as fields). */
export function notificationBody(format: 'generic' | 'slack', n: AlertNotification): Record<string, unknown> {
  if (format === 'generic') return { product: 'nmos-control', ...n };
  const mark =
    n.status === 'firing'
      ? n.severity === 'critical'
        ? ':red_circle:'
        : ':large_orange_circle:'
      : n.status === 'resolved'
        ? ':white_check_mark:'
        : ':information_source:';
  const text = `${mark} [${n.status.toUpperCase()}] ${n.summary}`;
  return {
    text,
    attachments: [
      {
        color: n.status === 'resolved' ? 'good' : n.severity === 'critical' ? 'danger' : 'warning',
        fields: [
          { title: 'alert', value: n.key, short: true },
          { title: 'severity', value: n.severity, short: true },
          { title: 'since', value: n.started_at, short: true },
          ...(n.resolved_at ? [{ title: 'resolved', value: n.resolved_at, short: true }] : []),
        ],
        footer: `nmos-control ${n.instance} · ${n.dedupe_key}`,
      },
    ],
  };
}

/** `X-Nmos-Control-Signature`: HMAC-SHA256 of the exact body with the hook's secret, so a receiver can trust it. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Waits between attempts: 1 s, 2 s, 4 s, … up to five minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(300_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}
