import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '#auth';
import { CurrentPrincipal, parseInput, RequireRole } from '#common';
import { GuardAdmin } from '../application/guard-admin.service.js';
import { IdempotencyService } from '../application/idempotency.service.js';
import { LiveStateService } from '../application/live-state.service.js';
import { NamedSalvos } from '../application/named-salvos.service.js';
import { RoutingAuditService, type AuditPage } from '../application/routing-audit.service.js';
import { SalvoService, type SalvoResult } from '../application/salvo.service.js';
import { SchedulesService } from '../application/schedules.service.js';
import { SalvoRequest } from '../domain/requests.js';
import type { StoredPolicy } from '../infra/guard.repository.js';
import type { ControllerSchedule, NamedSalvo } from '../infra/salvo.repository.js';
import { actorOf, idempotencyKeyOf, idempotencyOwner, overrideReasonOf } from './actor.js';

@ApiTags('schedules')
@ApiBearerAuth()
@Controller('api/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Get()
  @ApiOperation({ summary: 'Controller-side schedules (newest first): pending, firing, fired, failed, missed, cancelled, interrupted' })
  list(): Promise<ControllerSchedule[]> {
    return this.schedules.list();
  }

  @Post()
  @RequireRole('operator')
  @ApiOperation({ summary: 'Fire a salvo later: {salvo: name | connections: [...], fire_at: ISO 8601 or TAI secs:nanos}' })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<ControllerSchedule> {
    return this.schedules.create(actorOf(principal, request), body);
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<ControllerSchedule> {
    return this.schedules.get(id);
  }

  @Delete(':id')
  @RequireRole('operator')
  @ApiOperation({ summary: 'Cancel a pending schedule' })
  cancel(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<ControllerSchedule> {
    return this.schedules.cancel(actorOf(principal, request), id);
  }
}
