import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '#auth';
import { ApiZodBody, CurrentPrincipal, RequireRole } from '#common';
import { GuardAdmin } from '../guard/application/guard-admin.service.js';
import { LiveStateService } from '../live-state/application/live-state.service.js';
import { RoutingAuditService, type AuditPage } from '../routing/application/routing-audit.service.js';
import type { StoredPolicy } from '../guard/domain/guard-records.js';
import { DefaultEffectRequest, PolicyRequest } from '../domain/requests.js';
import { actorOf } from './actor.js';

/** Tally, routing policies and the routing audit trail. */
@ApiTags('routing')
@ApiBearerAuth()
@Controller('api')
export class RoutingController {
  constructor(
    private readonly guards: GuardAdmin,
    private readonly audit: RoutingAuditService,
    private readonly live: LiveStateService,
  ) {}

  @Get('tally')
  @ApiOperation({ summary: 'For each sender, the receivers it feeds now' })
  tally(): Promise<Array<{ sender_id: string; receivers: string[] }>> {
    return this.live.tally();
  }

  @Get('routing/policies')
  @ApiOperation({ summary: 'Routing policies and the default effect' })
  policies(): Promise<{ default_effect: 'allow' | 'deny'; policies: StoredPolicy[] }> {
    return this.guards.policies();
  }

  @Post('routing/policies')
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Add a policy: {name, effect: allow|deny, sender?, receiver?}; matchers by id, label pattern or tag {name, value pattern}' })
  @ApiZodBody(PolicyRequest)
  addPolicy(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<StoredPolicy> {
    return this.guards.addPolicy(actorOf(principal, request), body);
  }

  @Delete('routing/policies/:id')
  @HttpCode(204)
  @RequireRole('engineer')
  async removePolicy(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<void> {
    await this.guards.removePolicy(actorOf(principal, request), id);
  }

  @Put('routing/default')
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Default effect when no policy matches: {effect: allow|deny}' })
  @ApiZodBody(DefaultEffectRequest)
  setDefault(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<{ default_effect: 'allow' | 'deny' }> {
    return this.guards.setDefault(actorOf(principal, request), body);
  }

  @Get('audit')
  @RequireRole('operator')
  @ApiOperation({
    summary: 'Routing audit trail, newest first: filters action, outcome, receiver_id, sender_id, salvo_id, actor, since, until; paging limit, before',
  })
  find(@Query() query: Record<string, unknown>): Promise<AuditPage> {
    return this.audit.find(query);
  }
}
