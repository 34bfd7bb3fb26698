import { Injectable } from '@nestjs/common';
import { DomainError, INSTANCE_ID, parseInput } from '#common';
import { DatabaseService } from '#database';
import { HookChange, HookInput, publicHook, type AlertHook, type PublicHook } from '../domain/alert-hook.js';
import { dedupeKey, type AlertNotification } from '../domain/notification.js';
import { AlertsRepository, type AlertRecord, type DeliveryRecord } from '../infra/alerts.repository.js';

export type HookOwner = AlertHook['created_by'];

/** Admins' alert hooks: where notifications go, which alerts each takes; the delivery log; the alerts themselves. */
@Injectable()
export class AlertHooksService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repository: AlertsRepository,
  ) {}

  async list(): Promise<PublicHook[]> {
    return (await this.db.readPrimary((sql) => this.repository.listHooks(sql))).map(publicHook);
  }

  async create(body: unknown, owner: HookOwner): Promise<PublicHook> {
    const input = parseInput(HookInput, body, 'invalid_alert_hook');
    return publicHook(
      await this.db.write(async (sql) => {
        if (await this.repository.nameTaken(sql, input.name)) throw nameTaken(input.name);
        return this.repository.insertHook(sql, input, owner);
      }),
    );
  }

  async update(id: string, body: unknown): Promise<PublicHook> {
    const change = parseInput(HookChange, body, 'invalid_alert_hook');
    return publicHook(
      await this.db.write(async (sql) => {
        const hook = await this.repository.findHook(sql, id, true);
        if (!hook) throw notFound(id);
        if (change.name !== undefined && (await this.repository.nameTaken(sql, change.name, hook.id))) throw nameTaken(change.name);
        return this.repository.updateHook(sql, { ...hook, ...change });
      }),
    );
  }

  async remove(id: string): Promise<void> {
    if (!(await this.db.write((sql) => this.repository.deleteHook(sql, id)))) throw notFound(id);
  }

  /** Queues a `test` notification to one hook, delivered (and retried) like any other. */
  async test(id: string): Promise<{ dedupe_key: string }> {
    const now = new Date().toISOString();
    const notification: AlertNotification = {
      key: 'test',
      alert: 'test',
      subject: null,
      severity: 'warning',
      summary: 'test notification from nmos-control',
      status: 'test',
      started_at: now,
      resolved_at: null,
      dedupe_key: dedupeKey('test', now, 'test'),
      instance: INSTANCE_ID,
    };
    await this.db.write(async (sql) => {
      if (!(await this.repository.findHook(sql, id))) throw notFound(id);
      await this.repository.queue(sql, [id], notification);
    });
    return { dedupe_key: notification.dedupe_key };
  }

  deliveries(hookId: string | undefined, limit: number): Promise<DeliveryRecord[]> {
    return this.db.readPrimary((sql) => this.repository.deliveries(sql, hookId, limit));
  }

  alerts(limit: number): Promise<AlertRecord[]> {
    return this.db.read((sql) => this.repository.recent(sql, limit));
  }
}

function notFound(id: string): DomainError {
  return new DomainError('not_found', 'alert_hook_not_found', `No alert hook ${id}`);
}

function nameTaken(name: string): DomainError {
  return new DomainError('conflict', 'alert_hook_exists', `An alert hook named ${name} exists`, { fields: [{ field: 'name', message: 'is taken' }] });
}
