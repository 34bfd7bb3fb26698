import { describe, expect, it } from '@jest/globals';
import type { ActiveCondition } from '#health';
import { transitions, type StoredAlert } from './alert-transitions.js';
import { notificationBody, retryDelayMs, type AlertNotification } from './notification.js';
import { hookWants, redactedUrl } from './alert-hook.js';

const down = (subject: string): ActiveCondition => ({ alert: 'registry_down', severity: 'warning', subject, summary: `registry ${subject} is down` });
const stored = (key: string): StoredAlert => ({
  key,
  alert: 'registry_down',
  subject: key.split(':')[1],
  severity: 'warning',
  summary: '',
  started_at: '2026-12-01T00:00:00+00:00',
});

describe('alert transitions', () => {
  it('fires a condition only once it has held for the wait, and restarts the wait when it stops holding', () => {
    const pending = new Map<string, number>();
    expect(transitions([down('R0')], [], pending, 0, 30_000).fire).toEqual([]);
    expect(transitions([down('R0')], [], pending, 29_999, 30_000).fire).toEqual([]);
    expect(transitions([], [], pending, 30_000, 30_000).fire).toEqual([]);
    expect(pending.size).toBe(0);
    expect(transitions([down('R0')], [], pending, 31_000, 30_000).fire).toEqual([]);
    expect(transitions([down('R0')], [], pending, 61_000, 30_000).fire).toEqual([down('R0')]);
  });

  it('never fires what is firing already, and resolves what no longer holds, whatever the wait', () => {
    const pending = new Map<string, number>();
    const { fire, resolve } = transitions([down('R0'), down('R1')], [stored('registry_down:R0'), stored('registry_down:R2')], pending, 0, 0);
    expect(fire).toEqual([down('R1')]);
    expect(resolve.map((a) => a.key)).toEqual(['registry_down:R2']);
  });
});

describe('notifications', () => {
  const n: AlertNotification = {
    key: 'registry_down:R0',
    alert: 'registry_down',
    subject: 'R0',
    severity: 'critical',
    summary: 'registry R0 is down',
    status: 'firing',
    started_at: '2026-12-01T00:00:00+00:00',
    resolved_at: null,
    dedupe_key: 'registry_down:R0@2026-12-01T00:00:00+00:00/firing',
    instance: 'replica-1',
  };

  it('is Slack’s incoming-webhook shape for a slack hook, our JSON otherwise', () => {
    expect(notificationBody('generic', n)).toEqual({ product: 'nmos-control', ...n });
    const slack = notificationBody('slack', n) as { text: string; attachments: Array<{ color: string; footer: string }> };
    expect(slack.text).toBe(':red_circle: [FIRING] registry R0 is down');
    expect(slack.attachments[0]).toMatchObject({ color: 'danger', footer: `nmos-control replica-1 · ${n.dedupe_key}` });
    expect((notificationBody('slack', { ...n, status: 'resolved' }) as { text: string }).text).toMatch(/^:white_check_mark: \[RESOLVED\]/);
  });

  it('waits 1, 2, 4 … seconds between attempts, at most five minutes', () => {
    expect([1, 2, 3, 4, 20].map(retryDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 300_000]);
  });

  it('hides a webhook URL’s path (Slack’s is its credential) and sends a hook only the alerts it asked for', () => {
    expect(redactedUrl('https://hooks.slack.com/services/T0/B0/XYZ')).toBe('https://hooks.slack.com/…');
    expect(redactedUrl('https://alerts.example.net/')).toBe('https://alerts.example.net');
    expect(hookWants({ enabled: true, alerts: [] }, 'registry_down')).toBe(true);
    expect(hookWants({ enabled: true, alerts: ['primary_unreachable'] }, 'registry_down')).toBe(false);
    expect(hookWants({ enabled: false, alerts: [] }, 'registry_down')).toBe(false);
  });
});
