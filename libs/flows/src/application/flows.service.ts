import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError, parseInput, SdpError, zodProblems, type FieldProblem } from '#common';
import { DatabaseService, type Sql } from '#database';
import { EventsService } from '#events';
import { FlowCreate, FlowImportRow, FlowPatch, LockChange, newFlowFields } from '../domain/flow-input.js';
import { EDITABLE_FIELDS, type Flow, type FlowFields, type StoredActor } from '../domain/flow.entity.js';
import { flowEvents } from '../domain/flow-events.js';
import { FlowListQuery } from '../domain/flow-query.js';
import { exportedFlow, fieldDiff, flowView, type ExportedFlow, type FlowView } from '../domain/flow-view.js';
import { describeSdp } from '../domain/sdp-description.js';
import type { FlowAudit } from '../domain/flow-audit.entity.js';
import { FlowsRepository } from '../infra/flows.repository.js';
import { SdpFetcher } from '../infra/sdp-fetcher.js';

export const EXPORT_FORMAT = 'nmos-control-flows';
const LOCK_FIELDS = ['locked', 'locked_reason'] as const;
/** An import this large (and a fifth of the inventory) is followed by a VACUUM (ANALYZE). */
const BULK_ROWS = 1_000;

/**
 * The flow inventory: every write in one transaction with its audit row and its events, refused when
 * the flow is locked (whatever the path), checked against the version the caller last read.
 */
@Injectable()
export class FlowsService {
  private readonly logger = new Logger(FlowsService.name);
  private bulkChangedSinceVacuum = 0;

  constructor(
    private readonly db: DatabaseService,
    private readonly flows: FlowsRepository,
    private readonly events: EventsService,
    private readonly sdp: SdpFetcher,
  ) {}

  async list(rawQuery: unknown): Promise<{ flows: FlowView[]; total: number }> {
    const query = parseInput(FlowListQuery, rawQuery, 'invalid_query');
    const { flows, total } = await this.db.read((sql) => this.flows.list(sql, query));
    return { flows: flows.map(flowView), total };
  }

  async get(id: string): Promise<FlowView> {
    return flowView(await this.db.readPrimary(async (sql) => (await this.flows.find(sql, id)) ?? notFound(id)));
  }

  /** The live flow linked to an NMOS sender, if any (from the primary: what a moment ago's snapshot made counts). */
  async bySender(senderId: string): Promise<FlowView | undefined> {
    const flow = await this.db.readPrimary((sql) => this.flows.findBySender(sql, senderId));
    return flow ? flowView(flow) : undefined;
  }

  summary(): Promise<Record<string, unknown>> {
    return this.db.read((sql) => this.flows.summary(sql));
  }

  history(id: string, limit: number): Promise<FlowAudit[]> {
    return this.db.readPrimary(async (sql) => {
      if (!(await this.flows.find(sql, id, { withDeleted: true }))) notFound(id);
      return this.flows.history(sql, id, limit);
    });
  }

  async create(body: unknown, actor: StoredActor): Promise<FlowView> {
    const input = parseInput(FlowCreate, body, 'invalid_flow');
    return this.db.write(async (sql) => {
      const flow = this.newFlow({ ...input, flow_id: input.flow_id ?? randomUUID() }, actor);
      await this.refuseDuplicate(sql, flow.flow_id);
      await this.flows.insert(sql, [flow]);
      return this.recorded(sql, flow, 'created', actor);
    });
  }

  /** A change of some fields, refused (412) unless `expectedVersion` (If-Match or `version`) is the current one, when given. */
  async update(id: string, body: unknown, ifMatch: number | undefined, actor: StoredActor): Promise<FlowView> {
    const { version, ...change } = parseInput(FlowPatch, body, 'invalid_flow');
    const expected = ifMatch ?? version;
    return this.db.write(async (sql) => {
      const flow = (await this.flows.find(sql, id, { forUpdate: true })) ?? notFound(id);
      if (expected !== undefined && expected !== flow.version) throw stale(flow, expected);
      refuseLocked(flow);
      if (change.flow_id !== undefined && change.flow_id !== flow.flow_id) await this.refuseDuplicate(sql, change.flow_id);
      return this.changed(sql, flow, change, actor, 'updated');
    });
  }

  async setLock(id: string, body: unknown, actor: StoredActor): Promise<FlowView> {
    const change = parseInput(LockChange, body, 'invalid_lock');
    return this.db.write(async (sql) => {
      const flow = (await this.flows.find(sql, id, { forUpdate: true })) ?? notFound(id);
      if (flow.locked === change.locked) return flowView(flow);
      const before = { ...flow };
      Object.assign(flow, {
        locked: change.locked,
        locked_by: change.locked ? actor : null,
        locked_reason: change.locked ? (change.reason ?? null) : null,
      });
      return this.saved(sql, before, flow, actor, change.locked ? 'locked' : 'unlocked', LOCK_FIELDS, change.reason);
    });
  }

  /** Soft delete (kept, hidden, its NMOS id free again); `hard` (admins) removes the row. Reservations stay until released. */
  async remove(id: string, hard: boolean, actor: StoredActor): Promise<void> {
    await this.db.write(async (sql) => {
      const flow = (await this.flows.find(sql, id, { forUpdate: true, withDeleted: hard })) ?? notFound(id);
      refuseLocked(flow);
      const alreadyDeleted = flow.deleted_at !== null;
      if (hard) {
        await this.flows.purge(sql, flow.id);
        await this.flows.audit(sql, { flow, action: 'purged', actor });
      } else {
        Object.assign(flow, { deleted_at: new Date(), deleted_by: actor, updated_at: new Date(), updated_by: actor, version: flow.version + 1 });
        await this.flows.save(sql, flow);
        await this.flows.audit(sql, { flow, action: 'deleted', actor });
      }
      if (!alreadyDeleted) await this.events.recordMany(sql, flowEvents('deleted', flowView(flow), actor));
    });
  }

  /**
   * Flows made from NMOS senders, in one transaction: a sender that already has a live flow is skipped
   * (named); the NMOS flow id becomes the inventory's `flow_id` unless a live flow holds it already.
   */
  async createLinked(rows: Array<Partial<FlowFields>>, actor: StoredActor): Promise<{ created: FlowView[]; skipped: string[] }> {
    return this.db.write(async (sql) => {
      const linked = await this.flows.linkedSenderIds(sql);
      const taken = new Set(
        (
          await this.flows.liveByFlowIds(
            sql,
            rows.flatMap((r) => (r.flow_id ? [r.flow_id] : [])),
          )
        ).map((f) => f.flow_id),
      );
      const skipped: string[] = [];
      const flows: Flow[] = [];
      for (const row of rows) {
        if (row.nmos_sender_id && linked.has(row.nmos_sender_id)) {
          skipped.push(row.nmos_sender_id);
          continue;
        }
        const flowId = row.flow_id && !taken.has(row.flow_id) ? row.flow_id : randomUUID();
        taken.add(flowId);
        if (row.nmos_sender_id) linked.add(row.nmos_sender_id);
        flows.push({ ...this.newFlow({ ...row, flow_id: flowId }, actor), sdp_fetched_at: row.sdp_cache ? new Date() : null });
      }
      await this.flows.insert(sql, flows);
      return { created: await this.recordedMany(sql, flows, actor, 'created'), skipped };
    });
  }

  /** NMOS's view of a linked flow written onto it (link, sync): its own flow_id and the operator's fields are kept; refused when locked. */
  async applyNmos(id: string, fields: Partial<FlowFields>, actor: StoredActor, action: 'synced'): Promise<FlowView> {
    const { flow_id: _flowId, ...change } = fields;
    return this.db.write(async (sql) => {
      const flow = (await this.flows.find(sql, id, { forUpdate: true })) ?? notFound(id);
      refuseLocked(flow);
      // Nothing new from NMOS: no write, no version, no event.
      if (Object.keys(fieldDiff(flow, { ...flow, ...change }, EDITABLE_FIELDS)).length === 0) return flowView(flow);
      return this.changed(sql, flow, change, actor, action, change.sdp_cache !== undefined ? { sdp_fetched_at: new Date() } : {});
    });
  }

  /** Reads the flow's SDP (sdp_url) and takes both legs and the format from it: what the sender really sends. */
  async fetchSdp(id: string, actor: StoredActor): Promise<FlowView> {
    const current = await this.get(id);
    refuseLocked(current);
    if (!current.sdp_url)
      throw new DomainError('conflict', 'no_sdp_url', `Flow ${id} has no sdp_url to fetch`, { fields: [{ field: 'sdp_url', message: 'is not set' }] });
    const text = await this.sdp.fetch(current.sdp_url);
    const fields = sdpFields(text, current.sdp_url);
    return this.db.write(async (sql) => {
      const flow = (await this.flows.find(sql, id, { forUpdate: true })) ?? notFound(id);
      refuseLocked(flow);
      return this.changed(sql, flow, { ...fields, sdp_cache: text }, actor, 'updated', { sdp_fetched_at: new Date() });
    });
  }

  async export(rawQuery: unknown): Promise<{ format: string; version: 1; exported_at: string; flows: ExportedFlow[] }> {
    const query = parseInput(FlowListQuery.partial(), rawQuery ?? {}, 'invalid_query');
    const flows = await this.db.readPrimary((sql) => this.flows.all(sql, { ...FlowListQuery.parse({}), ...query }));
    return { format: EXPORT_FORMAT, version: 1, exported_at: new Date().toISOString(), flows: flows.map(exportedFlow) };
  }

  /**
   * An export (or a bare list of rows) applied whole or not at all: every row is checked first (problems
   * name `flows.<n>.<field>`); rows with a known id update that flow, others are created; a locked
   * flow the document would change refuses the whole import. Rows equal to what is stored change nothing.
   */
  async import(body: unknown, actor: StoredActor): Promise<{ created: number; updated: number; unchanged: number }> {
    const rows = this.importRows(body);
    const result = await this.applyImport(rows, actor);
    if (result.created + result.updated >= BULK_ROWS) this.tidyAfterBulk(result.created + result.updated);
    return result;
  }

  /**
   * After bulk loads adding up to a fifth of the inventory or more, in the background: VACUUM (ANALYZE) so
   * the planner knows the new rows and pages are index-only walks at once, rather than after autovacuum
   * gets to the table (a minute or more). Outside any transaction, as VACUUM must be; best effort.
   */
  private tidyAfterBulk(changed: number): void {
    // Counted across imports, so a plant loaded in many small bodies is vacuumed every fifth of growth.
    this.bulkChangedSinceVacuum += changed;
    const pending = this.bulkChangedSinceVacuum;
    void this.db
      .readPrimary(async (sql) => {
        const [{ live }] = await sql.query<{ live: number }>('SELECT count(*)::int AS live FROM flows WHERE deleted_at IS NULL');
        if (pending * 5 < live) return;
        this.bulkChangedSinceVacuum = 0;
        await this.flows.vacuum(sql);
      })
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'VACUUM after a bulk import failed; autovacuum will catch up'));
  }

  private applyImport(rows: ReturnType<FlowsService['importRows']>, actor: StoredActor): Promise<{ created: number; updated: number; unchanged: number }> {
    return this.db.write(async (sql) => {
      const existing = new Map(
        (
          await this.flows.byIds(
            sql,
            rows.filter((r) => r.id).map((r) => r.id!),
            true,
          )
        ).map((f) => [f.id, f]),
      );
      const byFlowId = new Map(
        (
          await this.flows.liveByFlowIds(
            sql,
            rows.map((r) => r.flow_id!),
          )
        ).map((f) => [f.flow_id, f]),
      );
      const problems: FieldProblem[] = [];
      const creates: Flow[] = [];
      const updates: Array<{ before: Flow; after: Flow }> = [];
      const restores: Flow[] = [];
      let unchanged = 0;
      rows.forEach((row, index) => {
        const { id, locked, locked_reason, ...fields } = row;
        const current = id ? existing.get(id) : undefined;
        const holder = byFlowId.get(fields.flow_id!);
        if (holder && holder.id !== current?.id) {
          problems.push({ field: `flows.${index}.flow_id`, message: `is flow ${holder.id}'s (${holder.display_name})` });
          return;
        }
        const lock = { locked: locked ?? false, locked_by: locked ? actor : null, locked_reason: locked ? (locked_reason ?? null) : null };
        if (!current) {
          creates.push({ ...this.newFlow(fields, actor, id), ...lock, data_source: fields.data_source ?? 'import' });
          return;
        }
        if (current.deleted_at) {
          // A soft-deleted flow's row: the import brings it back, with the document's fields.
          restores.push({ ...current, ...newFlowFields({ ...fields }), ...lock, deleted_at: null, deleted_by: null });
          return;
        }
        const after = {
          ...current,
          ...newFlowFields({ ...fields }),
          locked: locked ?? current.locked,
          locked_reason: locked_reason !== undefined ? locked_reason : current.locked_reason,
        };
        if (Object.keys(fieldDiff(current, after, [...EDITABLE_FIELDS, ...LOCK_FIELDS])).length === 0) unchanged += 1;
        else if (current.locked) problems.push({ field: `flows.${index}`, message: `would change flow ${current.id}, which is locked` });
        else updates.push({ before: current, after });
      });
      if (problems.length > 0) {
        const locked = problems.some((p) => p.message.includes('is locked'));
        throw new DomainError(
          locked ? 'locked' : 'conflict',
          locked ? 'flow_locked' : 'flow_exists',
          problems.map((p) => `${p.field}: ${p.message}`).join('; '),
          { fields: problems },
        );
      }
      await this.flows.insert(sql, creates);
      const restored = restores.map((flow) => this.touched(flow, actor));
      for (const flow of restored) await this.flows.save(sql, flow);
      await this.recordedMany(sql, [...creates, ...restored], actor, 'imported');
      for (const { before, after } of updates) {
        after.locked_by = after.locked ? (before.locked_by ?? actor) : null;
        await this.saved(sql, before, this.touched(after, actor), actor, 'imported', [...EDITABLE_FIELDS, ...LOCK_FIELDS]);
      }
      return { created: creates.length + restores.length, updated: updates.length, unchanged };
    });
  }

  private importRows(body: unknown): Array<Partial<FlowFields> & { id?: string; locked?: boolean; locked_reason?: string | null }> {
    const document = Array.isArray(body) ? { flows: body } : (body as { format?: unknown; flows?: unknown } | null);
    if (!document || typeof document !== 'object' || !Array.isArray(document.flows)) {
      throw new DomainError('invalid', 'invalid_import', 'flows: must be a list of flows (or an export document)', {
        fields: [{ field: 'flows', message: 'must be a list' }],
      });
    }
    if (document.format !== undefined && document.format !== EXPORT_FORMAT) {
      throw new DomainError('invalid', 'invalid_import', `format: must be ${EXPORT_FORMAT}`, {
        fields: [{ field: 'format', message: `must be ${EXPORT_FORMAT}` }],
      });
    }
    const problems: FieldProblem[] = [];
    const rows = document.flows.map((item, index) => {
      const parsed = FlowImportRow.safeParse(item);
      if (!parsed.success) {
        problems.push(...zodProblems(parsed.error.issues, ['flows', String(index)]));
        return undefined;
      }
      return { ...parsed.data, flow_id: parsed.data.flow_id ?? randomUUID() };
    });
    const seen = new Map<string, number>();
    rows.forEach((row, index) => {
      if (!row) return;
      for (const [key, value] of [
        ['flow_id', row.flow_id],
        ['id', row.id],
      ] as const) {
        if (value === undefined) continue;
        const first = seen.get(`${key}:${value}`);
        if (first !== undefined) problems.push({ field: `flows.${index}.${key}`, message: `repeats row ${first}'s` });
        else seen.set(`${key}:${value}`, index);
      }
    });
    if (problems.length > 0)
      throw new DomainError('invalid', 'invalid_import', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { fields: problems });
    return rows as Array<NonNullable<(typeof rows)[number]>>;
  }

  private newFlow(fields: Partial<FlowFields>, actor: StoredActor, id: string = randomUUID()): Flow {
    const now = new Date();
    return {
      id,
      ...newFlowFields(fields),
      locked: false,
      locked_by: null,
      locked_reason: null,
      sdp_fetched_at: null,
      version: 1,
      created_at: now,
      created_by: actor,
      updated_at: now,
      updated_by: actor,
      deleted_at: null,
      deleted_by: null,
    } as Flow;
  }

  private touched(flow: Flow, actor: StoredActor): Flow {
    return { ...flow, version: flow.version + 1, updated_at: new Date(), updated_by: actor };
  }

  private async changed(
    sql: Sql,
    flow: Flow,
    change: Partial<FlowFields>,
    actor: StoredActor,
    action: 'updated' | 'synced',
    extra: Partial<Flow> = {},
  ): Promise<FlowView> {
    const after: Flow = { ...flow, ...change, ...extra };
    if (Object.keys(fieldDiff(flow, after, EDITABLE_FIELDS)).length === 0 && Object.keys(extra).length === 0) return flowView(flow);
    return this.saved(sql, flow, this.touched(after, actor), actor, action, EDITABLE_FIELDS);
  }

  private async saved(
    sql: Sql,
    before: Flow,
    after: Flow,
    actor: StoredActor,
    action: FlowAudit['action'],
    fields: readonly (keyof Flow)[],
    reason?: string,
  ): Promise<FlowView> {
    const stored = before.version === after.version ? this.touched(after, actor) : after;
    const diff = fieldDiff(before, stored, fields);
    await this.flows.save(sql, stored);
    await this.flows.audit(sql, { flow: stored, action, actor, diff, reason });
    const view = flowView(stored);
    await this.events.recordMany(sql, flowEvents('updated', view, actor, diff));
    return view;
  }

  private async recorded(sql: Sql, flow: Flow, kind: 'created', actor: StoredActor, action: FlowAudit['action'] = 'created'): Promise<FlowView> {
    return (await this.recordedMany(sql, [flow], actor, action))[0];
  }

  /** New flows' audit rows and `flow.created` events, in a few statements whatever their number (an import of thousands). */
  private async recordedMany(sql: Sql, flows: Flow[], actor: StoredActor, action: FlowAudit['action']): Promise<FlowView[]> {
    await this.flows.auditMany(
      sql,
      flows.map((flow) => ({ flow, action, actor })),
    );
    const views = flows.map(flowView);
    await this.events.recordMany(
      sql,
      views.flatMap((view) => flowEvents('created', view, actor)),
    );
    return views;
  }

  private async refuseDuplicate(sql: Sql, flowId: string): Promise<void> {
    const holder = await this.flows.findByFlowId(sql, flowId);
    if (holder) {
      throw new DomainError('conflict', 'flow_exists', `Flow ${holder.id} (${holder.display_name}) already has flow_id ${flowId}`, {
        fields: [{ field: 'flow_id', message: 'is taken' }],
        extra: { existing_id: holder.id },
      });
    }
  }
}

/** Fields an SDP sets: both legs (B cleared when the SDP has one), the format, the protocol. */
export function sdpFields(text: string, url: string): Partial<FlowFields> {
  try {
    const sdp = describeSdp(text);
    const [a, b] = sdp.legs;
    return {
      multicast_addr_a: a.multicast_addr,
      group_port_a: a.group_port,
      source_addr_a: a.source_addr,
      multicast_addr_b: b?.multicast_addr ?? null,
      group_port_b: b?.group_port ?? null,
      source_addr_b: b?.source_addr ?? null,
      media_type: sdp.media_type,
      st2110_format: sdp.st2110_format,
      format_summary: sdp.format_summary,
      transport_protocol: sdp.transport_protocol,
    };
  } catch (err) {
    if (err instanceof SdpError) throw new DomainError('bad_gateway', 'invalid_sdp', `${url}: the SDP ${err.message}`);
    throw err;
  }
}

function notFound(id: string): never {
  throw new DomainError('not_found', 'flow_not_found', `No flow ${id}`);
}

function refuseLocked(flow: Pick<Flow, 'id' | 'locked' | 'locked_by' | 'locked_reason'>): void {
  if (!flow.locked) return;
  const by = flow.locked_by ? ` by ${flow.locked_by.name}` : '';
  throw new DomainError('locked', 'flow_locked', `Flow ${flow.id} is locked${by}${flow.locked_reason ? `: ${flow.locked_reason}` : ''}`, {
    extra: { locked_by: flow.locked_by?.name ?? null, locked_reason: flow.locked_reason },
  });
}

function stale(flow: Flow, expected: number): DomainError {
  return new DomainError('precondition_failed', 'version_mismatch', `Flow ${flow.id} is at version ${flow.version}, not ${expected}: read it again`, {
    extra: { current_version: flow.version },
  });
}
