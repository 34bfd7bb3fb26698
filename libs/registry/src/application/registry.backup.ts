import { Injectable } from '@nestjs/common';
import type { Actor } from '#common';
import type { BackupSection, Sql } from '#database';
import { RegistryEntryInput, type SubmittedEntry } from '../domain/parse-registry-config.js';
import { RegistryConfigRepository } from '../infra/registry-config.repository.js';
import { RegistryConfigService } from './registry-config.service.js';

/**
 * The registry configuration in a backup, in its order. A bearer token is a secret: in a document only
 * encrypted; restored without it, the token stored under the same name is kept (as a PUT keeps it).
 */
@Injectable()
export class RegistryBackupSection implements BackupSection<SubmittedEntry> {
  readonly name = 'registries';
  readonly item = RegistryEntryInput;
  readonly secret = {
    of: (entry: SubmittedEntry) => entry.auth?.token,
    without: (entry: SubmittedEntry): SubmittedEntry => ({ ...entry, auth: entry.auth && { type: entry.auth.type } }),
    with: (entry: SubmittedEntry, token: string): SubmittedEntry => ({ ...entry, auth: { type: 'bearer', token } }),
  };

  constructor(
    private readonly repository: RegistryConfigRepository,
    private readonly config: RegistryConfigService,
  ) {}

  key(entry: SubmittedEntry): string {
    return entry.name.toLowerCase();
  }

  read(sql: Sql): Promise<SubmittedEntry[]> {
    return this.repository.list(sql);
  }

  async write(sql: Sql, change: { all: SubmittedEntry[] }, actor: Actor): Promise<void> {
    await this.config.restoreIn(sql, change.all, actor);
  }
}
