import { Body, Controller, Delete, Get, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '#auth';
import { ApiZodBody, ApiZodQuery, CurrentPrincipal, RequireRole } from '#common';
import { SchedulesService } from '../scheduling/application/schedules.service.js';
import type { ControllerSchedule } from '../scheduling/domain/salvo-records.js';
import { ScheduleListQuery, ScheduleRequest } from '../domain/requests.js';
import { actorOf, overrideReasonOf } from './actor.js';

/** Controller-side schedules: salvos the scheduler lease holder fires later. */
@ApiTags('schedules')
@ApiBearerAuth()
@Controller('api/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Get()
  @ApiOperation({ summary: 'Controller-side schedules (newest first): pending, firing, fired, failed, missed, cancelled, interrupted' })
  @ApiZodQuery(ScheduleListQuery)
  list(@Query() query: Record<string, unknown>): Promise<ControllerSchedule[]> {
    return this.schedules.list(query);
  }

  @Post()
  @RequireRole('operator')
  @ApiOperation({ summary: 'Fire a salvo later: {salvo: name | connections: [...], fire_at: ISO 8601 or TAI secs:nanos}' })
  @ApiZodBody(ScheduleRequest)
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<ControllerSchedule> {
    return this.schedules.create(actorOf(principal, request), body, overrideReasonOf(request));
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<ControllerSchedule> {
    return this.schedules.get(id);
  }

  @Delete(':id')
  @RequireRole('operator')
  @ApiOperation({ summary: "Cancel a pending schedule; another's needs admin and X-Override-Reason (423 otherwise)" })
  @ApiHeader({ name: 'X-Override-Reason', required: false })
  cancel(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<ControllerSchedule> {
    return this.schedules.cancel(actorOf(principal, request), id, overrideReasonOf(request));
  }
}
