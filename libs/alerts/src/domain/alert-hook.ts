import { z } from 'zod';

/** The conditions the product alerts on (HA guide §7), the same as deploy/prometheus' rules. */
export const ALERT_NAMES = [
  'primary_unreachable',
  'replica_lag',
  'no_lease_holder',
  'outbox_backlog',
  'registry_down',
  'take_failures',
  'broker_disconnected',
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

export const HOOK_FORMATS = ['generic', 'slack'] as const;

const webhookUrl = z
  .string({ message: 'must be a string' })
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && !url.hash;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without a fragment');

const fields = {
  name: z.string({ message: 'must be a string' }).trim().min(1, 'must not be empty').max(100),
  url: webhookUrl.describe('http(s) URL; shown back without its path (a Slack webhook’s path is its credential)'),
  format: z.enum(HOOK_FORMATS, { message: 'must be generic or slack' }),
  secret: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(256)
    .nullable()
    .describe('signs each body (X-Nmos-Control-Signature: sha256=HMAC); never shown back'),
  alerts: z
    .array(z.enum(ALERT_NAMES, { message: `must be one of ${ALERT_NAMES.join(', ')}` }))
    .max(ALERT_NAMES.length)
    .refine((a) => new Set(a).size === a.length, 'must name each alert once')
    .describe('empty: every alert'),
  enabled: z.boolean({ message: 'must be true or false' }),
};

/** A new hook: `alerts` empty or left out means every alert. */
export const HookInput = z.strictObject({
  name: fields.name,
  url: fields.url,
  format: fields.format.default('generic'),
  secret: fields.secret.default(null),
  alerts: fields.alerts.default([]),
  enabled: fields.enabled.default(true),
});
export type HookInput = z.infer<typeof HookInput>;

/** A change: the fields given replace the stored ones; `url` and `secret` left out are kept. */
export const HookChange = z.strictObject(fields).partial();
export type HookChange = z.infer<typeof HookChange>;

export interface AlertHook {
  id: string;
  name: string;
  url: string;
  format: (typeof HOOK_FORMATS)[number];
  secret: string | null;
  alerts: AlertName[];
  enabled: boolean;
  created_by: { kind: string; id: string; name: string };
  created_at: Date;
  updated_at: Date;
}

/** What the API shows of a hook: a webhook URL's path is a credential (Slack's is), and the secret is never shown. */
export interface PublicHook extends Omit<AlertHook, 'url' | 'secret'> {
  url: string;
  has_secret: boolean;
}

export function publicHook({ url, secret, ...hook }: AlertHook): PublicHook {
  return { ...hook, url: redactedUrl(url), has_secret: secret !== null };
}

export function redactedUrl(value: string): string {
  const url = new URL(value);
  return url.pathname === '/' && !url.search && !url.username ? url.origin : `${url.origin}/…`;
}

/** Does `hook` receive `alert`? */
export function hookWants(hook: Pick<AlertHook, 'enabled' | 'alerts'>, alert: string): boolean {
  return hook.enabled && (hook.alerts.length === 0 || (hook.alerts as string[]).includes(alert));
}
