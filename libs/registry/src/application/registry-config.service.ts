import { Injectable } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { DomainError, eventActor, type FieldProblem } from '#common';
import { DatabaseService, type Sql } from '#database';
import { EventsService } from '#events';
import { parseRegistryConfig, parseRegistryEntry, type SubmittedEntry } from '../domain/parse-registry-config.js';
import { sameOrigin } from '../domain/url-origin.js';
import { publicEntry, type PublicRegistryEntry, type RegistryEntry } from '../domain/registry-entry.js';
import { RegistryExistsError, RegistryNotFoundError } from '../domain/registry.errors.js';
import { RegistryConfigRepository, type Actor, type ConfigAuditRecord } from '../infra/registry-config.repository.js';

/**
 * The registry configuration (HA guide §4): the whole list replaced atomically, or one entry at a time.
 * Every change is committed with its audit rows (who, when, before/after) and a new revision, which the
 * watchers follow. Bearer tokens are stored but never shown: an `auth` without a token keeps the stored
 * one, so GET's output PUT back changes nothing.
 */
@Injectable()
export class RegistryConfigService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repository: RegistryConfigRepository,
    private readonly events: EventsService,
  ) {}

  /** From the primary: an engineer who just changed the list expects to see the change. */
  async list(): Promise<PublicRegistryEntry[]> {
    return (await this.db.readPrimary((sql) => this.repository.list(sql))).map(publicEntry);
  }

  /** Every entry with its credentials, for the watchers. */
  entriesWithCredentials(): Promise<RegistryEntry[]> {
    return this.db.readPrimary((sql) => this.repository.list(sql));
  }

  revision(): Promise<number> {
    return this.db.readPrimary((sql) => this.repository.revision(sql));
  }

  async replace(body: unknown, actor: Actor): Promise<PublicRegistryEntry[]> {
    const submitted = parseRegistryConfig(body);
    return (await this.mutate(actor, () => submitted)).map(publicEntry);
  }

  async add(body: unknown, actor: Actor): Promise<PublicRegistryEntry> {
    const entry = parseRegistryEntry(body);
    const saved = await this.mutate(actor, (current) => {
      if (current.some((e) => sameName(e.name, entry.name))) throw new RegistryExistsError(entry.name);
      return [...current, entry];
    });
    return publicEntry(saved.find((e) => sameName(e.name, entry.name))!);
  }

  async update(name: string, changes: unknown, actor: Actor): Promise<PublicRegistryEntry> {
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
      throw new DomainError('invalid', 'invalid_registry_config', 'body: must be an object', { fields: [{ field: 'body', message: 'must be an object' }] });
    }
    let newName = name;
    const saved = await this.mutate(actor, (current) => {
      const index = current.findIndex((e) => sameName(e.name, name));
      if (index < 0) throw new RegistryNotFoundError(name);
      const merged = parseRegistryEntry({ ...publicEntry(current[index]), ...changes });
      if (current.some((e, i) => i !== index && sameName(e.name, merged.name))) throw new RegistryExistsError(merged.name);
      newName = merged.name;
      return current.map((e, i) => (i === index ? merged : e));
    });
    return publicEntry(saved.find((e) => sameName(e.name, newName))!);
  }

  async remove(name: string, actor: Actor): Promise<void> {
    await this.mutate(actor, (current) => {
      if (!current.some((e) => sameName(e.name, name))) throw new RegistryNotFoundError(name);
      return current.filter((e) => !sameName(e.name, name));
    });
  }

  auditTrail(limit: number): Promise<ConfigAuditRecord[]> {
    return this.db.read((sql) => this.repository.auditTrail(sql, limit));
  }

  /**
   * The whole list as a restore sets it, inside the restore's transaction: validated, tokens kept as a PUT
   * keeps them, audited and announced like any other change.
   */
  async restoreIn(sql: Sql, entries: unknown[], actor: Actor): Promise<void> {
    const submitted = parseRegistryConfig(entries);
    await this.mutateIn(sql, actor, () => submitted);
  }

  private mutate(actor: Actor, change: (current: RegistryEntry[]) => SubmittedEntry[]): Promise<RegistryEntry[]> {
    return this.db.write((sql) => this.mutateIn(sql, actor, change));
  }

  /** Lock, compute the new list, keep stored tokens, write, audit what changed. */
  private async mutateIn(sql: Sql, actor: Actor, change: (current: RegistryEntry[]) => SubmittedEntry[]): Promise<RegistryEntry[]> {
    await this.repository.lock(sql);
    const current = await this.repository.list(sql);
    const next = withStoredTokens(change(current), current);
    if (isDeepStrictEqual(next, current)) return current;
    await this.repository.replaceAll(sql, next);
    await this.auditChanges(sql, actor, current, next);
    return next;
  }

  private async auditChanges(sql: Sql, actor: Actor, before: RegistryEntry[], after: RegistryEntry[]): Promise<void> {
    const audit = async (action: 'created' | 'updated' | 'deleted', name: string, previous: RegistryEntry | null, next: RegistryEntry | null) => {
      const [pre, post] = [previous && publicEntry(previous), next && publicEntry(next)];
      await this.repository.audit(sql, actor, action, name, pre, post);
      await this.events.record(sql, {
        type: `registry.config.${action}`,
        subject: { kind: 'registry', id: name },
        topic: `audit/registry-config`,
        retained: false,
        payload: { action, registry: name, before: pre, after: post },
        actor: eventActor(actor),
      });
    };
    for (const entry of after) {
      const previous = before.find((e) => sameName(e.name, entry.name));
      if (!previous) await audit('created', entry.name, null, entry);
      else if (!isDeepStrictEqual(previous, entry)) await audit('updated', entry.name, previous, entry);
    }
    for (const entry of before) {
      if (!after.some((e) => sameName(e.name, entry.name))) await audit('deleted', entry.name, entry, null);
    }
  }
}

function entryUrls(entry: { query_url: string; endpoints: string[] }): string[] {
  return [entry.query_url, ...entry.endpoints];
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * An `auth` sent without its token keeps the token stored under the same name, but only for the
 * origins it was entered for: a token is never sent to a host its owner did not give it to.
 */
function withStoredTokens(entries: SubmittedEntry[], stored: RegistryEntry[]): RegistryEntry[] {
  const problems: FieldProblem[] = [];
  const resolved = entries.map((entry, index): RegistryEntry => {
    if (!entry.auth || entry.auth.token) return entry as RegistryEntry;
    const previous = stored.find((s) => sameName(s.name, entry.name));
    const token = previous?.auth?.token;
    const field = `[${index}] "${entry.name}".auth.token`;
    if (!token) problems.push({ field, message: 'is required (no token is stored for this registry)' });
    else if (!entryUrls(entry).every((url) => entryUrls(previous!).some((known) => sameOrigin(url, known))))
      problems.push({ field, message: 'is required again: the registry URLs now name a host the stored token was not entered for' });
    return { ...entry, auth: { type: 'bearer', token: token ?? '' } };
  });
  if (problems.length > 0)
    throw new DomainError('invalid', 'invalid_registry_config', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { fields: problems });
  return resolved;
}
