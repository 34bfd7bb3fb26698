import { Injectable } from '@nestjs/common';
import { DomainError, type FieldProblem } from '#common';
import { DatabaseService } from '#database';
import { AuditRepository, type AuditFilter, type AuditRecord } from '../infra/audit.repository.js';

export interface AuditPage {
  items: AuditRecord[];
  /** Pass as `before` for the next (older) page. */
  next_before?: string;
}

const TEXT_FILTERS = ['action', 'outcome', 'receiver_id', 'sender_id', 'salvo_id', 'actor'] as const;

/** Reading the routing audit trail: filters and paging, newest first. */
@Injectable()
export class RoutingAuditService {
  constructor(
    private readonly db: DatabaseService,
    private readonly audit: AuditRepository,
  ) {}

  async find(query: Record<string, unknown>): Promise<AuditPage> {
    const problems: FieldProblem[] = [];
    const text = (name: string): string | undefined => {
      const value = query[name];
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || value.length === 0 || value.length > 200)
        problems.push({ field: name, message: 'must be given once, 1-200 characters' });
      return typeof value === 'string' ? value : undefined;
    };
    const time = (name: string): Date | undefined => {
      const value = text(name);
      if (value === undefined) return undefined;
      const date = new Date(value);
      // Years PostgreSQL and people both read; JavaScript accepts far more than PostgreSQL stores.
      if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999)
        problems.push({ field: name, message: 'must be an ISO 8601 time (years 1-9999)' });
      return date;
    };
    const limitText = text('limit');
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) problems.push({ field: 'limit', message: 'must be a whole number from 1 to 1000' });
    const beforeText = text('before');
    const before = beforeText === undefined ? undefined : Number(beforeText);
    if (before !== undefined && (!Number.isSafeInteger(before) || before < 1)) problems.push({ field: 'before', message: 'must be an audit id' });
    const known = new Set<string>([...TEXT_FILTERS, 'since', 'until', 'limit', 'before']);
    for (const key of Object.keys(query)) if (!known.has(key)) problems.push({ field: key, message: `unknown filter (one of ${[...known].join(', ')})` });
    const filter: AuditFilter = { limit, before, since: time('since'), until: time('until') };
    for (const name of TEXT_FILTERS) filter[name] = text(name);
    if (problems.length > 0)
      throw new DomainError('invalid', 'validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { fields: problems });
    const items = await this.db.readPrimary((sql) => this.audit.find(sql, filter));
    return { items, ...(items.length === limit ? { next_before: items[items.length - 1].id } : {}) };
  }
}
