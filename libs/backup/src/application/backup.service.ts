import { Inject, Injectable } from '@nestjs/common';
import { type Actor, DomainError, eventActor, type FieldProblem, INSTANCE_ID, zodProblems } from '#common';
import { DatabaseService, type BackupSection, type Sql } from '#database';
import { EventsService } from '#events';
import { BACKUP_FORMAT, BACKUP_VERSION, BackupDocument, checksumOf } from '../domain/backup-document.js';
import { duplicateKeys, planSection, type RestoreMode, type SectionPlan } from '../domain/restore-plan.js';
import { openSecrets, sealSecrets, type SecretsBySection } from '../domain/sealed-secrets.js';

/** Every module's backup sections, in the order a restore writes them (users before the tokens they made). */
export const BACKUP_SECTIONS = Symbol('BACKUP_SECTIONS');

export interface RestoreOptions {
  mode: RestoreMode;
  dryRun: boolean;
  passphrase?: string;
}

export interface RestoreReport {
  dry_run: boolean;
  mode: RestoreMode;
  checksum: string;
  sections: Record<string, SectionPlan>;
  /** Sections this controller has that the document does not carry: left as they are. */
  not_in_document: string[];
}

/** Thrown inside a dry run's transaction once everything is written, so that it all rolls back. */
class DryRunDone extends Error {
  constructor(readonly report: RestoreReport) {
    super('dry run');
  }
}

/**
 * The configuration as one document (HA guide §8 "configuration export"), and back. A restore checks
 * the whole document first (format, checksum, secrets, every item with the rules its module applies),
 * then writes every section in one transaction on the primary: it all lands, or nothing does.
 */
@Injectable()
export class BackupService {
  constructor(
    private readonly db: DatabaseService,
    private readonly events: EventsService,
    @Inject(BACKUP_SECTIONS) private readonly sections: BackupSection[],
  ) {}

  async backup(actor: Actor, passphrase: string | undefined): Promise<BackupDocument> {
    const read = await this.db.write(async (sql) => {
      // One snapshot for every section, times printed the same way whatever the server's zone.
      await sql.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await sql.execute("SET LOCAL TimeZone = 'UTC'");
      // One connection runs one statement at a time.
      const sections = [];
      for (const section of this.sections) sections.push({ section, items: await section.read(sql) });
      return sections;
    });
    const data: Record<string, unknown[]> = {};
    const secrets: SecretsBySection = {};
    for (const { section, items } of read) {
      data[section.name] = items.map((item) => {
        const secret = section.secret?.of(item);
        if (secret === undefined) return item;
        (secrets[section.name] ??= {})[section.key(item)] = secret;
        return section.secret!.without(item);
      });
    }
    const document = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      created_at: new Date().toISOString(),
      created_by: actor.name,
      instance: INSTANCE_ID,
      data,
      secrets: passphrase === undefined || Object.keys(secrets).length === 0 ? null : await sealSecrets(secrets, passphrase),
    } as const;
    return { ...document, checksum: checksumOf(document) };
  }

  async restore(body: unknown, options: RestoreOptions, actor: Actor): Promise<RestoreReport> {
    const { document, items } = await this.check(body, options.passphrase);
    const work = async (sql: Sql): Promise<RestoreReport> => {
      await sql.execute("SET LOCAL TimeZone = 'UTC'");
      // Two restores at once would interleave section by section: one waits for the other.
      await sql.execute("SELECT pg_advisory_xact_lock(hashtext('nmos-control restore'))");
      const report: RestoreReport = { dry_run: options.dryRun, mode: options.mode, checksum: document.checksum, sections: {}, not_in_document: [] };
      for (const section of this.sections) {
        const incoming = items.get(section.name);
        if (incoming === undefined) {
          report.not_in_document.push(section.name);
          continue;
        }
        const { change, plan } = planSection(section, await section.read(sql), incoming, options.mode);
        report.sections[section.name] = plan;
        if (change.upsert.length > 0 || change.remove.length > 0)
          await section.write(sql, change, actor).catch((err: unknown) => refuseConflict(section.name, err));
      }
      await this.events.record(sql, {
        type: 'config.restored',
        subject: { kind: 'backup', id: document.checksum },
        topic: 'audit/restore',
        retained: false,
        payload: { mode: options.mode, dry_run: options.dryRun, backup_created_at: document.created_at, sections: report.sections },
        actor: eventActor(actor),
      });
      if (options.dryRun) throw new DryRunDone(report);
      return report;
    };
    try {
      return await this.db.write(work);
    } catch (err) {
      if (err instanceof DryRunDone) return err.report;
      throw err;
    }
  }

  /** The whole document checked before anything is written; every problem named by its path. */
  private async check(body: unknown, passphrase: string | undefined): Promise<{ document: BackupDocument; items: Map<string, unknown[]> }> {
    const parsed = BackupDocument.safeParse(body);
    if (!parsed.success) throw invalid(zodProblems(parsed.error.issues));
    const document = parsed.data;
    if (checksumOf(document) !== document.checksum)
      throw invalid([{ field: 'checksum', message: 'does not match the document: it was damaged or changed after export' }], 'backup_checksum_mismatch');
    const problems: FieldProblem[] = [];
    const known = new Set(this.sections.map((s) => s.name));
    for (const name of Object.keys(document.data))
      if (!known.has(name)) problems.push({ field: `data.${name}`, message: `is not a section this controller knows (${[...known].join(', ')})` });
    if (document.secrets !== null && passphrase === undefined)
      problems.push({ field: 'X-Backup-Passphrase', message: 'is required: the document holds encrypted secrets' });
    if (problems.length > 0) throw invalid(problems);
    const secrets = document.secrets === null ? {} : await openSecrets(document.secrets, passphrase!);

    const items = new Map<string, unknown[]>();
    for (const section of this.sections) {
      const raw = document.data[section.name];
      if (raw === undefined) continue;
      const valid: unknown[] = [];
      raw.forEach((item, index) => {
        const result = section.item.safeParse(item);
        if (result.success) valid.push(result.data);
        else problems.push(...zodProblems(result.error.issues, ['data', section.name, String(index)]));
      });
      if (valid.length !== raw.length) continue;
      for (const [index, first] of duplicateKeys(section, valid))
        problems.push({ field: `data.${section.name}.${index}`, message: `names the same item as data.${section.name}.${first}` });
      items.set(
        section.name,
        valid.map((item) => this.withSecret(section, item, secrets[section.name] ?? {}, problems)),
      );
    }
    if (problems.length > 0) throw invalid(problems);
    return { document, items };
  }

  /** The item with its secret from the sealed part, checked again as a whole. */
  private withSecret(section: BackupSection, item: unknown, secrets: Record<string, string>, problems: FieldProblem[]): unknown {
    const key = section.key(item);
    const secret = secrets[key];
    if (secret === undefined || !section.secret) return item;
    let withSecret: unknown;
    try {
      withSecret = section.secret.with(item, secret);
    } catch {
      problems.push({ field: `secrets.${section.name}.${key}`, message: 'is not a secret this section can read' });
      return item;
    }
    const result = section.item.safeParse(withSecret);
    if (!result.success) problems.push(...zodProblems(result.error.issues, ['secrets', section.name, key]));
    return result.success ? result.data : item;
  }
}

/**
 * Items that clash with other rows of the target (a merge bringing a hook whose name another hook has)
 * are refused by name, not answered 500; everything else goes on as it was.
 */
function refuseConflict(section: string, err: unknown): never {
  const pg = err as { code?: string; detail?: string };
  if (pg.code !== '23505') throw err;
  const message = `clashes with what the target holds${pg.detail ? `: ${pg.detail}` : ''} (replace instead of merge, or change the item)`;
  throw new DomainError('conflict', 'backup_conflict', `data.${section}: ${message}`, { fields: [{ field: `data.${section}`, message }] });
}

function invalid(fields: FieldProblem[], code = 'invalid_backup'): DomainError {
  return new DomainError('invalid', code, fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
}
