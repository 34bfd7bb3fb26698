import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DomainError, mapLimit, parseInput, storedUuid } from '#common';
import { DatabaseService } from '#database';
import { NmosQueryService } from '#registry';
import type { StreamLeg } from '../domain/collision-rule.js';
import type { FieldChanges } from '../domain/flow-audit.entity.js';
import { LEGS, type Flow, type FlowFields, type StoredActor } from '../domain/flow.entity.js';
import { fieldDiff, type FlowView } from '../domain/flow-view.js';
import { NMOS_SYNCED_FIELDS, nmosFields, type SenderContext } from '../domain/nmos-fields.js';
import { FlowsRepository } from '../infra/flows.repository.js';
import { SdpFetcher } from '../infra/sdp-fetcher.js';
import { FlowsService, sdpFields } from './flows.service.js';

/** SDPs fetched at once during a snapshot: devices are small web servers. */
const SDP_CONCURRENCY = 8;
export const SnapshotInput = z.strictObject({ sender_ids: z.array(storedUuid).min(1).max(10_000).optional() });
export const LinkInput = z.strictObject({ sender_id: storedUuid });

export interface NmosDiff {
  flow: string;
  sender_id: string;
  in_merged_view: boolean;
  sdp_error?: string;
  changes: FieldChanges;
}

/**
 * The inventory beside the merged view: flows made from IS-04 senders (ids, labels, API URLs and the
 * SDP's legs and format), the senders that have no flow yet, and each linked flow's difference from
 * what NMOS says now, applied by `sync` (never to a locked flow).
 */
@Injectable()
export class NmosLinkService {
  constructor(
    private readonly db: DatabaseService,
    private readonly nmos: NmosQueryService,
    private readonly flows: FlowsRepository,
    private readonly inventory: FlowsService,
    private readonly sdp: SdpFetcher,
  ) {}

  /** Senders of the merged view no live flow is linked to. */
  async unlinked(): Promise<Array<{ id: string; label: unknown; device_id: unknown; flow_id: unknown; manifest_href: unknown }>> {
    const [senders, linked] = await Promise.all([this.nmos.all('senders'), this.db.read((sql) => this.flows.linkedSenderIds(sql))]);
    return senders
      .filter((s) => !linked.has(s.id))
      .map(({ resource: r }) => ({ id: String(r.id), label: r.label, device_id: r.device_id, flow_id: r.flow_id, manifest_href: r.manifest_href }));
  }

  /**
   * The legs of every sender no flow describes, read from their SDPs (a few at a time), for a collision
   * report across the merged view; senders whose SDP cannot be read are named.
   */
  async unlinkedSenderLegs(): Promise<{ legs: StreamLeg[]; checked: number; sdp_errors: Array<{ sender_id: string; error: string }> }> {
    const senders = await this.unlinked();
    const sdpErrors: Array<{ sender_id: string; error: string }> = [];
    const legs = await mapLimit(senders, SDP_CONCURRENCY, async (sender): Promise<StreamLeg[]> => {
      if (typeof sender.manifest_href !== 'string' || sender.manifest_href === '') return [];
      try {
        const fields = sdpFields(await this.sdp.fetch(sender.manifest_href), sender.manifest_href);
        const stream = { id: null, flow_id: null, display_name: String(sender.label ?? sender.id), sender_id: sender.id };
        return LEGS.flatMap((leg) => {
          const group = fields[`multicast_addr_${leg}`];
          return group
            ? [{ ...stream, leg, multicast_addr: group, group_port: fields[`group_port_${leg}`] ?? null, source_addr: fields[`source_addr_${leg}`] ?? null }]
            : [];
        });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        sdpErrors.push({ sender_id: sender.id, error: err.message });
        return [];
      }
    });
    return { legs: legs.flat(), checked: senders.length, sdp_errors: sdpErrors };
  }

  /** Flows for the given senders (or every unlinked one), each filled from NMOS and its SDP; senders already linked are skipped. */
  async snapshot(
    body: unknown,
    actor: StoredActor,
  ): Promise<{ created: FlowView[]; skipped: string[]; sdp_errors: Array<{ sender_id: string; error: string }> }> {
    const input = parseInput(SnapshotInput, body ?? {}, 'invalid_snapshot');
    const senderIds = input.sender_ids ?? (await this.unlinked()).map((s) => s.id);
    const contexts = await this.contexts(senderIds);
    const missing = senderIds.filter((id) => !contexts.has(id));
    if (missing.length > 0) {
      throw new DomainError('not_found', 'sender_not_found', `Not in the merged view: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ' …' : ''}`, {
        fields: missing.slice(0, 50).map((id) => ({ field: 'sender_ids', message: `${id} is not in the merged view` })),
      });
    }
    const sdpErrors: Array<{ sender_id: string; error: string }> = [];
    const rows = await mapLimit([...contexts.values()], SDP_CONCURRENCY, async (context) => {
      const { fields, error } = await this.fieldsFor(context);
      if (error) sdpErrors.push({ sender_id: String(context.sender.id), error });
      return { ...fields, display_name: String(context.sender.label || context.sender.id), data_source: 'nmos' } as Partial<FlowFields>;
    });
    const { created, skipped } = await this.inventory.createLinked(rows, actor);
    return { created, skipped, sdp_errors: sdpErrors };
  }

  /** Links an existing flow to a sender and fills it from NMOS (refused when locked). */
  async link(id: string, body: unknown, actor: StoredActor): Promise<FlowView> {
    const { sender_id } = parseInput(LinkInput, body, 'invalid_link');
    const context = (await this.contexts([sender_id])).get(sender_id);
    if (!context)
      throw new DomainError('not_found', 'sender_not_found', `No sender ${sender_id} in the merged view`, {
        fields: [{ field: 'sender_id', message: 'is not in the merged view' }],
      });
    const { fields, error } = await this.fieldsFor(context);
    if (error) throw new DomainError('bad_gateway', 'invalid_sdp', error);
    return this.inventory.applyNmos(id, fields, actor, 'synced');
  }

  /** What `sync` would change on a linked flow, from what NMOS (and the sender's SDP) says now. */
  async diff(id: string): Promise<NmosDiff> {
    const flow = await this.inventory.get(id);
    const { fields, error, inView } = await this.current(flow);
    const changes = inView && !error ? fieldDiff(flow as unknown as Flow, { ...flow, ...fields } as unknown as Flow, NMOS_SYNCED_FIELDS) : {};
    return { flow: flow.id, sender_id: flow.nmos_sender_id!, in_merged_view: inView, ...(error ? { sdp_error: error } : {}), changes };
  }

  /** Applies the difference (423 when locked; 409 when the sender left the merged view; 502 when its SDP is unreadable). */
  async sync(id: string, actor: StoredActor): Promise<FlowView> {
    return (await this.syncOne(id, actor)).flow;
  }

  /**
   * Groups a device verified on its sender's /active, written onto the sender's flow; then, best effort,
   * a `sync` so its SDP (source filters, the cached file) follows. The legs are recorded either way.
   */
  async recordVerifiedLegs(id: string, legs: Array<{ leg: 'a' | 'b'; multicast_addr: string; group_port: number }>, actor: StoredActor): Promise<FlowView> {
    const fields = Object.fromEntries(
      legs.flatMap((l) => [
        [`multicast_addr_${l.leg}`, l.multicast_addr],
        [`group_port_${l.leg}`, l.group_port],
      ]),
    ) as Partial<FlowFields>;
    const recorded = await this.inventory.applyNmos(id, fields, actor, 'synced');
    try {
      return await this.sync(id, actor);
    } catch (err) {
      if (err instanceof DomainError) return recorded;
      throw err;
    }
  }

  /** `sync` over every linked flow, a few at a time; each flow's refusal is reported, not thrown. */
  async syncAll(actor: StoredActor): Promise<{ synced: string[]; unchanged: number; refused: Array<{ id: string; error: string; message: string }> }> {
    const ids = await this.db.read((sql) => this.flows.linkedFlowIds(sql));
    const synced: string[] = [];
    const refused: Array<{ id: string; error: string; message: string }> = [];
    await mapLimit(ids, SDP_CONCURRENCY, async (id) => {
      try {
        if ((await this.syncOne(id, actor)).changed) synced.push(id);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        refused.push({ id, error: err.code, message: err.message });
      }
    });
    return { synced, unchanged: ids.length - synced.length - refused.length, refused };
  }

  private async syncOne(id: string, actor: StoredActor): Promise<{ flow: FlowView; changed: boolean }> {
    const flow = await this.inventory.get(id);
    const { fields, error, inView } = await this.current(flow);
    if (!inView) throw new DomainError('conflict', 'sender_not_in_view', `Sender ${flow.nmos_sender_id} is not in the merged view now`);
    if (error) throw new DomainError('bad_gateway', 'invalid_sdp', error);
    const after = await this.inventory.applyNmos(id, fields, actor, 'synced');
    return { flow: after, changed: after.version !== flow.version };
  }

  private async current(flow: FlowView): Promise<{ fields: Partial<FlowFields>; error?: string; inView: boolean }> {
    if (!flow.nmos_sender_id)
      throw new DomainError('conflict', 'not_linked', `Flow ${flow.id} is not linked to an NMOS sender`, {
        fields: [{ field: 'nmos_sender_id', message: 'is not set' }],
      });
    const context = (await this.contexts([flow.nmos_sender_id])).get(flow.nmos_sender_id);
    if (!context) return { fields: {}, inView: false };
    return { ...(await this.fieldsFor(context)), inView: true };
  }

  private async fieldsFor(context: SenderContext): Promise<{ fields: Partial<FlowFields>; error?: string }> {
    const fields: Partial<FlowFields> = { ...nmosFields(context), flow_id: typeof context.sender.flow_id === 'string' ? context.sender.flow_id : randomUUID() };
    if (!fields.sdp_url) return { fields };
    try {
      const text = await this.sdp.fetch(fields.sdp_url);
      return { fields: { ...fields, ...sdpFields(text, fields.sdp_url), sdp_cache: text } };
    } catch (err) {
      if (err instanceof DomainError) return { fields, error: err.message };
      throw err;
    }
  }

  /** Each sender with its flow, device and node from the merged view, in four reads. */
  private async contexts(senderIds: string[]): Promise<Map<string, SenderContext>> {
    const byId = (rows: Array<{ id: string; resource: Record<string, unknown> }>) => new Map(rows.map((r) => [r.id, r.resource]));
    const senders = byId(await this.nmos.some('senders', senderIds));
    const strings = (values: unknown[]) => [...new Set(values.filter((v): v is string => typeof v === 'string'))];
    const [flows, devices] = await Promise.all([
      this.nmos.some('flows', strings([...senders.values()].map((s) => s.flow_id))).then(byId),
      this.nmos.some('devices', strings([...senders.values()].map((s) => s.device_id))).then(byId),
    ]);
    const nodes = byId(await this.nmos.some('nodes', strings([...devices.values()].map((d) => d.node_id))));
    const contexts = new Map<string, SenderContext>();
    for (const [id, sender] of senders) {
      const device = devices.get(String(sender.device_id));
      contexts.set(id, { sender, flow: flows.get(String(sender.flow_id)), device, node: device ? nodes.get(String(device.node_id)) : undefined });
    }
    return contexts;
  }
}
