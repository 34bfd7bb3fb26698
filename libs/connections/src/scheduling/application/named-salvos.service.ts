import { Injectable } from '@nestjs/common';
import { DomainError, eventActor, parseInput } from '#common';
import { DatabaseService } from '#database';
import { overrideOwnership, ownerOf, type Actor } from '../../domain/actor.js';
import { NamedSalvoRequest, SalvoRequest } from '../../domain/requests.js';
import { SalvoRepository, type NamedSalvo } from '../infra/salvo.repository.js';
import { RoutingRecorder, type SalvoResult, SalvoService } from '../../routing/index.js';

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

  /** Saved salvos are their saver's: replacing another's is an admin override (X-Override-Reason), audited. */
  async save(actor: Actor, name: string, body: unknown, overrideReason?: string): Promise<NamedSalvo> {
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (fields.name !== undefined && fields.name !== name)
      throw new DomainError('invalid', 'invalid_salvo', 'name: must be the name in the path', {
        fields: [{ field: 'name', message: 'must be the name in the path' }],
      });
    const salvo = parseInput(NamedSalvoRequest, { ...fields, name }, 'invalid_salvo');
    return this.db.write(async (sql) => {
      const existing = await this.salvos.lockAndGet(sql, name);
      const override = overrideOwnership(actor, ownerOf(existing), salvoSubject(name), overrideReason);
      const saved = await this.salvos.save(sql, salvo, eventActor(actor));
      await this.recorder.recordIn(sql, {
        audits: [
          { action: 'salvo.saved', outcome: 'succeeded', actor, override_reason: override, request: { ...salvo, ...(override ? { replaced: existing } : {}) } },
        ],
      });
      return saved;
    });
  }

  async remove(actor: Actor, name: string, overrideReason?: string): Promise<void> {
    await this.db.write(async (sql) => {
      const existing = await this.salvos.lockAndGet(sql, name);
      if (!existing) throw new DomainError('not_found', 'salvo_not_found', `No saved salvo ${name}`);
      const override = overrideOwnership(actor, ownerOf(existing), salvoSubject(name), overrideReason);
      await this.salvos.remove(sql, name);
      await this.recorder.recordIn(sql, {
        audits: [
          { action: 'salvo.deleted', outcome: 'succeeded', actor, override_reason: override, request: override ? { name, removed: existing } : { name } },
        ],
      });
    });
  }

  /** Firing another's saved salvo is an override too (the same reason also passes policies and locks). */
  async fire(actor: Actor, name: string, overrideReason?: string): Promise<SalvoResult> {
    return this.salvoService.fire(actor, await this.fireable(actor, name, overrideReason), overrideReason, name);
  }

  /** What firing a saved salvo fires, now or later (a schedule), once the actor may fire it. */
  async fireable(actor: Actor, name: string, overrideReason?: string): Promise<SalvoRequest> {
    const saved = await this.get(name);
    overrideOwnership(actor, ownerOf(saved), salvoSubject(name), overrideReason);
    return toRequest(saved);
  }
}

function salvoSubject(name: string) {
  return { what: `Saved salvo ${name}`, code: 'salvo_owned' };
}

/** The fireable part of a saved salvo. */
export function toRequest(saved: NamedSalvo): SalvoRequest {
  return parseInput(
    SalvoRequest,
    { connections: saved.connections, on_failure: saved.on_failure, ...(saved.synchronised ? { synchronised: true } : {}) },
    'invalid_salvo',
  );
}
