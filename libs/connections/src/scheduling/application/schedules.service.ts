import { Injectable } from '@nestjs/common';
import { DomainError, parseInput } from '#common';
import { AppConfig } from '#config';
import { DatabaseService } from '#database';
import { overrideOwnership, ownerOf, recordedActor, type Actor } from '../../domain/actor.js';
import { fireAtDate, ScheduleListQuery, ScheduleRequest } from '../../domain/requests.js';
import { deviceError, DeviceGateway, RoutingRecorder, TargetResolver } from '../../routing/index.js';
import { ConnectionStateRepository } from '../../live-state/index.js';
import type { DeviceSchedule } from '../domain/device-schedule.js';
import { SalvoRepository, type ControllerSchedule } from '../infra/salvo.repository.js';
import { RoutingGuard } from '../../guard/index.js';
import { NamedSalvos } from './named-salvos.service.js';

/** Controller-side schedules (fire a salvo later) and the scheduled activations held by devices. */
@Injectable()
export class SchedulesService {
  constructor(
    private readonly db: DatabaseService,
    private readonly salvos: SalvoRepository,
    private readonly named: NamedSalvos,
    private readonly state: ConnectionStateRepository,
    private readonly resolver: TargetResolver,
    private readonly guard: RoutingGuard,
    private readonly devices: DeviceGateway,
    private readonly recorder: RoutingRecorder,
    private readonly config: AppConfig,
  ) {}

  /**
   * Guards are checked now as well as when it fires, so a schedule that could never pass is refused at
   * once rather than failing at 18:00:00.
   */
  async create(actor: Actor, body: unknown, overrideReason?: string): Promise<ControllerSchedule> {
    const request = parseInput(ScheduleRequest, body, 'invalid_schedule');
    const fireAt = fireAtDate(request.fire_at)!;
    if (fireAt.getTime() < Date.now() - this.config.routing.scheduleMissedWindowSeconds * 1000)
      throw new DomainError('invalid', 'invalid_schedule', 'fire_at: is in the past', { fields: [{ field: 'fire_at', message: 'is in the past' }] });
    const salvo = request.salvo
      ? await this.named.fireable(actor, request.salvo, overrideReason)
      : { connections: request.connections!, on_failure: request.on_failure, ...(request.synchronised ? { synchronised: true } : {}) };
    const verdicts = await this.guard.check(actor, await this.resolver.resolveAll(salvo.connections));
    for (const verdict of verdicts) if (!verdict.allowed) throw verdict.error;
    return this.db.write(async (sql) => {
      const saved = await this.salvos.addSchedule(sql, request.salvo ?? null, salvo, fireAt, recordedActor(actor));
      await this.recorder.recordIn(sql, { audits: [{ action: 'schedule.created', outcome: 'succeeded', actor, request: { id: saved.id, ...request } }] });
      return saved;
    });
  }

  list(query: Record<string, unknown>): Promise<ControllerSchedule[]> {
    const { state } = parseInput(ScheduleListQuery, query, 'validation_failed');
    return this.db.readPrimary((sql) => this.salvos.schedules(sql, state));
  }

  async get(id: string): Promise<ControllerSchedule> {
    const found = await this.db.readPrimary((sql) => this.salvos.schedule(sql, id));
    if (!found) throw new DomainError('not_found', 'schedule_not_found', `No schedule ${id}`);
    return found;
  }

  /** A schedule is its creator's: cancelling another's is an admin override (X-Override-Reason), audited. */
  async cancel(actor: Actor, id: string, overrideReason?: string): Promise<ControllerSchedule> {
    return this.db.write(async (sql) => {
      const existing = await this.salvos.lockSchedule(sql, id);
      const override = existing && overrideOwnership(actor, ownerOf(existing), { what: `Schedule ${id}`, code: 'schedule_owned' }, overrideReason);
      const cancelled = await this.salvos.cancelSchedule(sql, id);
      if (!cancelled) {
        const found = await this.salvos.schedule(sql, id);
        if (!found) throw new DomainError('not_found', 'schedule_not_found', `No schedule ${id}`);
        throw new DomainError('conflict', 'schedule_not_pending', `Schedule ${id} is ${found.state}: only a pending schedule can be cancelled`);
      }
      await this.recorder.recordIn(sql, {
        audits: [{ action: 'schedule.cancelled', outcome: 'succeeded', actor, override_reason: override, request: { id } }],
      });
      return cancelled;
    });
  }

  deviceSchedules(state?: DeviceSchedule['state']): Promise<DeviceSchedule[]> {
    return this.db.readPrimary((sql) => this.state.deviceSchedules(sql, state));
  }

  /** Cancels a device-side scheduled activation: a PATCH with activation.mode null (IS-05). */
  async cancelDeviceSchedule(actor: Actor, id: string): Promise<DeviceSchedule> {
    const schedule = await this.db.readPrimary((sql) => this.state.deviceSchedule(sql, id));
    if (!schedule) throw new DomainError('not_found', 'schedule_not_found', `No device schedule ${id}`);
    if (schedule.state !== 'pending') throw new DomainError('conflict', 'schedule_not_pending', `Device schedule ${id} is ${schedule.state}`);
    const [target] = await this.resolver.resolveAll([{ receiver_id: schedule.receiver_id, sender_id: null }]);
    let answer;
    try {
      answer = await this.devices.patchStaged(target.api, schedule.receiver_id, { activation: { mode: null } });
    } catch (err) {
      throw deviceError(err, schedule.receiver_id);
    }
    return this.db.writeThrough(async (sql) => {
      await this.state.settle(sql, id, 'cancelled', { device: answer });
      await this.recorder.recordIn(sql, {
        audits: [
          {
            action: 'connection.schedule_cancelled',
            outcome: 'succeeded',
            actor,
            receiver_id: schedule.receiver_id,
            request: { schedule_id: id, activation: { mode: null } },
            device_answer: answer,
          },
        ],
      });
      return (await this.state.deviceSchedule(sql, id))!;
    });
  }
}
