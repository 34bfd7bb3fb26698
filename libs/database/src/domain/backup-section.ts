import type { z } from 'zod';
import type { Sql } from './sql.js';

/** Who restores: kept with the audit rows and events a section writes. */
export interface BackupActor {
  kind: 'user' | 'api_token';
  id: string;
  name: string;
  requestId?: string;
}

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
  write(sql: Sql, change: SectionChange<T>, actor: BackupActor): Promise<void>;
}

/** Rows of a query whose single column `item` is a JSON object built in SQL (times printed by PostgreSQL). */
export async function readBackupItems<T>(sql: Sql, text: string, params?: readonly unknown[]): Promise<T[]> {
  return (await sql.query<{ item: T }>(text, params)).map((r) => r.item);
}
