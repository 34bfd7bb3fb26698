import type { z } from 'zod';
import { DomainError, type Actor, type FieldProblem } from '#common';
import type { Sql } from './sql.js';

/** What a restore does to one section, worked out by the Backup module from the document and the database. */
export interface SectionChange<T> {
  /** Every item the section holds once restored, in document order (for sections written as a whole list). */
  all: T[];
  /** Items that are new or differ from what is stored, in document order. */
  upsert: T[];
  /** Keys of stored items the restore removes (replace mode only). */
  remove: string[];
}

/**
 * One module's share of the configuration backup (`GET /api/backup`, `POST /api/restore`): what it
 * holds, how an item is named and validated, and how items are written back inside the restore's one
 * transaction. Items are plain JSON with times as PostgreSQL prints them, so a restored database backs
 * up to the same document. The owning module keeps its SQL and its rules (stored tokens, last admin).
 */
export interface BackupSection<T = unknown> {
  /** The member of the document's `data`, e.g. `registries`. */
  readonly name: string;
  readonly item: z.ZodType<T>;
  /** The item's identity within the section (what a merge matches on). */
  key(item: T): string;
  /** Every item, secrets included (the Backup module takes them out or encrypts them). */
  read(sql: Sql): Promise<T[]>;
  /** A secret an item may hold (a registry's bearer token, an API token's hash): never in clear in a document. */
  readonly secret?: {
    of(item: T): string | undefined;
    without(item: T): T;
    with(item: T, secret: string): T;
  };
  write(sql: Sql, change: SectionChange<T>, actor: Actor): Promise<void>;
}

/** Rows of a query whose single column `item` is a JSON object built in SQL (times printed by PostgreSQL). */
export async function readBackupItems<T>(sql: Sql, text: string, params?: readonly unknown[]): Promise<T[]> {
  return (await sql.query<{ item: T }>(text, params)).map((r) => r.item);
}

/**
 * Writes items that can be updated in place but created only with their secret (an API token's hash, a
 * hook's URL): `update` answers whether the item existed; an item the target lacks and whose secret the
 * document does not carry is refused, naming it, after all were tried (the transaction then rolls back).
 */
export async function restoreNeedingSecret<T>(
  section: string,
  change: SectionChange<T>,
  key: (item: T) => string,
  steps: { update(item: T): Promise<boolean>; insert(item: T): Promise<void>; hasSecret(item: T): boolean; label(item: T): string },
): Promise<void> {
  const index = new Map(change.all.map((item, i) => [key(item), i]));
  const problems: FieldProblem[] = [];
  for (const item of change.upsert) {
    if (await steps.update(item)) continue;
    if (steps.hasSecret(item)) await steps.insert(item);
    else
      problems.push({
        field: `data.${section}.${index.get(key(item))}`,
        message: `${steps.label(item)} is not in this database and the backup holds no secret to create it: take the backup with a passphrase, or leave it out`,
      });
  }
  if (problems.length > 0) throw new DomainError('invalid', 'invalid_backup', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { fields: problems });
}
