import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '#auth';
import { ApiZodBody, ApiZodQuery, CurrentPrincipal, DomainError, PageLimitQuery, parseInput, queryFlag, RequireRole, ZodPipe } from '#common';
import { Idempotent } from '#database';
import { FlowsService } from '../application/flows.service.js';
import { LinkInput, NmosLinkService, SnapshotInput } from '../application/nmos-link.service.js';
import { FlowCreate, FlowPatch, LockChange } from '../domain/flow-input.js';
import { FlowListQuery } from '../domain/flow-query.js';
import type { FlowView } from '../domain/flow-view.js';
import { actorOf, versionOf } from './flow-actor.js';

const uuid = new ParseUUIDPipe({ version: undefined });
const HardDeleteQuery = z.object({ hard: queryFlag.default(false).describe('true: remove the row (admin)') });

/** GO-NMOS's flow inventory routes (HA guide: "flow and multicast inventory"). Viewers read; engineers write; admins purge. */
@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/flows')
export class FlowsController {
  constructor(
    private readonly flows: FlowsService,
    private readonly nmos: NmosLinkService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'A page of flows (limit ≤ 500, offset, sort_by, sort_order, filters, q); the total in X-Total-Count' })
  @ApiZodQuery(FlowListQuery)
  async list(@Query() query: Record<string, string>, @Res({ passthrough: true }) reply: FastifyReply): Promise<FlowView[]> {
    const { flows, total } = await this.flows.list(query);
    void reply.header('x-total-count', String(total));
    return flows;
  }

  @Get('summary')
  @ApiOperation({ summary: 'Counts: live, deleted, locked, redundant (two legs), linked to NMOS; by media type, status, availability' })
  summary() {
    return this.flows.summary();
  }

  @Get('search')
  @ApiOperation({ summary: 'Text search (q) over names, labels, aliases, user fields, notes, ids and addresses; the list’s filters apply' })
  @ApiZodQuery(FlowListQuery.required({ q: true }))
  async search(@Query() query: Record<string, string>, @Res({ passthrough: true }) reply: FastifyReply): Promise<FlowView[]> {
    if (!query.q) throw new DomainError('invalid', 'invalid_query', 'q: is required', { fields: [{ field: 'q', message: 'is required' }] });
    return this.list(query, reply);
  }

  @Get('export')
  @ApiOperation({ summary: 'Every flow the filters select, as a document POST /api/flows/import takes back unchanged' })
  export(@Query() query: Record<string, string>) {
    return this.flows.export(query);
  }

  @Post('import')
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Apply an export (or a list of flows) whole or not at all (engineer and up); 400/409/423 name the row and field' })
  import(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.flows.import(body, actorOf(principal, request));
  }

  @Get('nmos/unlinked')
  @ApiOperation({ summary: 'Senders of the merged view that no flow is linked to' })
  unlinked() {
    return this.nmos.unlinked();
  }

  @Post('nmos/snapshot')
  @HttpCode(200)
  @RequireRole('engineer')
  @ApiOperation({
    summary: 'Create flows from senders ({sender_ids}, or every unlinked one): NMOS ids, labels, API URLs, SDP legs and format (engineer and up)',
  })
  @ApiZodBody(SnapshotInput)
  snapshot(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.nmos.snapshot(body, actorOf(principal, request));
  }

  @Post('nmos/sync')
  @HttpCode(200)
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Sync every linked flow with NMOS and its SDP (engineer and up); locked flows and missing senders are reported' })
  syncAll(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.nmos.syncAll(actorOf(principal, request));
  }

  @Get(':id/nmos/diff')
  @ApiOperation({ summary: 'What differs between a linked flow and its sender (and SDP) in the merged view now' })
  nmosDiff(@Param('id', uuid) id: string) {
    return this.nmos.diff(id);
  }

  @Post(':id/nmos/sync')
  @HttpCode(200)
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Apply that difference (engineer and up); 423 when locked' })
  nmosSync(@Param('id', uuid) id: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.nmos.sync(id, actorOf(principal, request));
  }

  @Post(':id/nmos/link')
  @HttpCode(200)
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Link a flow to a sender ({sender_id}) and fill it from NMOS (engineer and up); 423 when locked' })
  @ApiZodBody(LinkInput)
  nmosLink(@Param('id', uuid) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.nmos.link(id, body, actorOf(principal, request));
  }

  @Get(':id')
  async get(@Param('id', uuid) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<FlowView> {
    const flow = await this.flows.get(id);
    void reply.header('etag', `"${flow.version}"`);
    return flow;
  }

  @Get(':id/audit')
  @ApiOperation({ summary: 'Who changed this flow, what (before and after) and why, newest first' })
  @ApiZodQuery(PageLimitQuery)
  audit(@Param('id', uuid) id: string, @Query(new ZodPipe(PageLimitQuery)) { limit }: { limit: number }) {
    return this.flows.history(id, limit);
  }

  @Post()
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Add a flow (engineer and up); 409 flow_exists (with existing_id) when its flow_id is taken' })
  @ApiZodBody(FlowCreate)
  @Idempotent((request) => parseInput(FlowCreate, request.body, 'invalid_flow'))
  async create(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FlowView> {
    const flow = await this.flows.create(body, actorOf(principal, request));
    void reply.header('etag', `"${flow.version}"`);
    return flow;
  }

  @Patch(':id')
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Change fields (engineer and up); If-Match (or version) guards against lost updates (412); 423 when locked' })
  @ApiZodBody(FlowPatch)
  async update(
    @Param('id', uuid) id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FlowView> {
    const flow = await this.flows.update(id, body, versionOf(ifMatch), actorOf(principal, request));
    void reply.header('etag', `"${flow.version}"`);
    return flow;
  }

  @Post(':id/lock')
  @HttpCode(200)
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Lock ({locked: true, reason}) or unlock a flow (engineer and up): a locked flow refuses every write' })
  @ApiZodBody(LockChange)
  lock(@Param('id', uuid) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.flows.setLock(id, body, actorOf(principal, request));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Soft delete (engineer and up); ?hard=true removes the row (admin); 423 when locked' })
  @ApiZodQuery(HardDeleteQuery)
  async remove(
    @Param('id', uuid) id: string,
    @Query(new ZodPipe(HardDeleteQuery, 'invalid_query')) { hard }: z.infer<typeof HardDeleteQuery>,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ) {
    if (hard && principal.role !== 'admin') throw new DomainError('forbidden', 'forbidden', 'A hard delete is for admins');
    await this.flows.remove(id, hard, actorOf(principal, request));
  }

  @Post(':id/fetch-sdp')
  @HttpCode(200)
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Read the flow’s sdp_url and take both legs, source filters and the format from it (engineer and up)' })
  fetchSdp(@Param('id', uuid) id: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.flows.fetchSdp(id, actorOf(principal, request));
  }
}
