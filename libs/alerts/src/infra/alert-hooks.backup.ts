import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { storedActor, storedTime, storedUuid } from '#common';
import { readBackupItems, restoreNeedingSecret, type BackupSection, type SectionChange, type Sql } from '#database';
import { ALERT_NAMES, HOOK_FORMATS } from '../domain/alert-hook.js';

const HookItem = z.strictObject({
  id: storedUuid,
  name: z.string().trim().min(1).max(100),
  format: z.enum(HOOK_FORMATS),
  alerts: z.array(z.enum(ALERT_NAMES)),
  enabled: z.boolean(),
  created_by: storedActor,
  created_at: storedTime,
  updated_at: storedTime,
  /** The URL (its path is often the credential) and the signing secret: only ever sealed. */
  endpoint: z.strictObject({ url: z.string().url(), secret: z.string().min(16).max(256).nullable() }).optional(),
});
type HookItem = z.infer<typeof HookItem>;

/** Alert hooks in a backup, by id. A hook the target does not have needs its sealed endpoint (a backup taken with a passphrase). */
@Injectable()
export class AlertHooksBackupSection implements BackupSection<HookItem> {
  readonly name = 'alert_hooks';
  readonly item = HookItem;
  readonly secret = {
    of: (hook: HookItem) => (hook.endpoint ? JSON.stringify(hook.endpoint) : undefined),
    without: ({ endpoint: _endpoint, ...hook }: HookItem): HookItem => hook,
    with: (hook: HookItem, secret: string): HookItem => ({ ...hook, endpoint: JSON.parse(secret) as HookItem['endpoint'] }),
  };

  key(hook: HookItem): string {
    return hook.id;
  }

  read(sql: Sql): Promise<HookItem[]> {
    return readBackupItems(
      sql,
      `SELECT jsonb_build_object('id', id, 'name', name, 'format', format, 'alerts', to_jsonb(alerts), 'enabled', enabled, 'created_by', created_by,
         'created_at', created_at, 'updated_at', updated_at, 'endpoint', jsonb_build_object('url', url, 'secret', secret)) AS item
       FROM alert_hooks ORDER BY lower(name), id`,
    );
  }

  async write(sql: Sql, change: SectionChange<HookItem>): Promise<void> {
    if (change.remove.length > 0) await sql.execute('DELETE FROM alert_hooks WHERE id = ANY($1::uuid[])', [change.remove]);
    const values = (h: HookItem) => [h.id, h.name, h.format, h.alerts, h.enabled, JSON.stringify(h.created_by), h.created_at, h.updated_at];
    await restoreNeedingSecret(this.name, change, (h) => h.id, {
      hasSecret: (hook) => hook.endpoint !== undefined,
      label: (hook) => `hook "${hook.name}"`,
      update: async (hook) =>
        (await sql.execute(
          `UPDATE alert_hooks SET name = $2, format = $3, alerts = $4, enabled = $5, created_by = $6, created_at = $7, updated_at = $8,
             url = COALESCE($9, url), secret = CASE WHEN $10::boolean THEN $11 ELSE secret END WHERE id = $1`,
          [...values(hook), hook.endpoint?.url ?? null, hook.endpoint !== undefined, hook.endpoint?.secret ?? null],
        )) > 0,
      insert: async (hook) => {
        await sql.execute(
          `INSERT INTO alert_hooks (id, name, format, alerts, enabled, created_by, created_at, updated_at, url, secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [...values(hook), hook.endpoint!.url, hook.endpoint!.secret],
        );
      },
    });
  }
}
