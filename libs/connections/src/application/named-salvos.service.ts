import { Injectable } from '@nestjs/common';
import { DomainError, parseInput } from '#common';
import { DatabaseService } from '#database';
import { eventActor, type Actor } from '../domain/actor.js';
import { NamedSalvoRequest, SalvoRequest } from '../domain/requests.js';
import { SalvoRepository, type NamedSalvo } from '../infra/salvo.repository.js';
import { RoutingRecorder } from './routing-recorder.js';
import { SalvoService, type SalvoResult } from './salvo.service.js';

/** Salvos saved under a name (CRUD, audited) and fired by name. */
@Injectable()
export class NamedSalvos {
  constructor(
    private readonly db: DatabaseService,
    private readonly salvos: SalvoRepository,
    private readonly salvoService: SalvoService,
    private readonly recorder: RoutingRecorder,
  ) {}

  list(): Promise<NamedSalvo[]> {
    return this.db.readPrimary((sql) => this.salvos.list(sql));
  }

  async get(name: string): Promise<NamedSalvo> {
    const found = await this.db.readPrimary((sql) => this.salvos.get(sql, name));
    if (!found) throw new DomainError('not_found', 'salvo_not_found', `No saved salvo ${name}`);
    return found;
  }

  async save(actor: Actor, name: string, body: unknown): Promise<NamedSalvo> {
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (fields.name !== undefined && fields.name !== name)
      throw new DomainError('invalid', 'invalid_salvo', 'name: must be the name in the path', {
        fields: [{ field: 'name', message: 'must be the name in the path' }],
      });
    const salvo = parseInput(NamedSalvoRequest, { ...fields, name }, 'invalid_salvo');
    return this.db.write(async (sql) => {
      const saved = await this.salvos.save(sql, salvo, eventActor(actor));
      await this.recorder.recordIn(sql, { audits: [{ action: 'salvo.saved', outcome: 'succeeded', actor, request: salvo }] });
      return saved;
    });
  }

  async remove(actor: Actor, name: string): Promise<void> {
    await this.db.write(async (sql) => {
      if (!(await this.salvos.remove(sql, name))) throw new DomainError('not_found', 'salvo_not_found', `No saved salvo ${name}`);
      await this.recorder.recordIn(sql, { audits: [{ action: 'salvo.deleted', outcome: 'succeeded', actor, request: { name } }] });
    });
  }

  async fire(actor: Actor, name: string, overrideReason?: string): Promise<SalvoResult> {
    const saved = await this.get(name);
    return this.salvoService.fire(actor, toRequest(saved), overrideReason, name);
  }
}

/** The fireable part of a saved salvo. */
export function toRequest(saved: NamedSalvo): SalvoRequest {
  return parseInput(
    SalvoRequest,
    { connections: saved.connections, on_failure: saved.on_failure, ...(saved.synchronised ? { synchronised: true } : {}) },
    'invalid_salvo',
  );
}
