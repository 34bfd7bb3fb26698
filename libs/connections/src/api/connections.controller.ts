import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '#auth';
import { ApiZodBody, ApiZodQuery, CurrentPrincipal, parseInput, RequireRole, ZodPipe } from '#common';
import { Idempotent, IdempotencyAttempt, type IdempotentAttempt } from '#database';
import { GuardAdmin } from '../guard/application/guard-admin.service.js';
import { LiveStateService, type ReceiverConnection } from '../live-state/application/live-state.service.js';
import { SchedulesService } from '../scheduling/application/schedules.service.js';
import { TakeService, type TakeResult } from '../routing/application/take.service.js';
import { DEVICE_SCHEDULE_STATES, type DeviceSchedule } from '../scheduling/domain/device-schedule.js';
import type { ReceiverLock } from '../guard/domain/guard-records.js';
import { LockRequest, TakeRequest } from '../domain/requests.js';
import { actorOf, overrideReasonOf } from './actor.js';

const ConnectionsQuery = z.object({
  sender_id: z.string({ message: 'give one sender id' }).min(1, 'give one sender id').optional().describe('only the receivers this sender feeds'),
});
const DeviceSchedulesQuery = z.object({
  state: z.enum(DEVICE_SCHEDULE_STATES, { message: `must be ${DEVICE_SCHEDULE_STATES.join(', ')}` }).optional(),
});

/** Takes, disconnects, live connection state, device-side schedules and receiver locks. */
@ApiTags('connections')
@ApiBearerAuth()
@Controller('api/connections')
export class ConnectionsController {
  constructor(
    private readonly takes: TakeService,
    private readonly live: LiveStateService,
    private readonly schedules: SchedulesService,
    private readonly guards: GuardAdmin,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every receiver with its current sender (registry subscription or last verified /active), lock and pending schedule' })
  @ApiZodQuery(ConnectionsQuery)
  list(@Query(new ZodPipe(ConnectionsQuery)) filter: z.infer<typeof ConnectionsQuery>): Promise<ReceiverConnection[]> {
    return this.live.list(filter);
  }

  @Get('scheduled')
  @ApiOperation({ summary: 'Scheduled activations held by devices (pending, then activated/failed once verified, or cancelled)' })
  @ApiZodQuery(DeviceSchedulesQuery)
  scheduled(@Query(new ZodPipe(DeviceSchedulesQuery)) { state }: z.infer<typeof DeviceSchedulesQuery>): Promise<DeviceSchedule[]> {
    return this.schedules.deviceSchedules(state);
  }

  @Delete('scheduled/:id')
  @RequireRole('operator')
  @ApiOperation({ summary: 'Cancel a scheduled activation on its device (PATCH activation.mode null)' })
  cancelScheduled(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<DeviceSchedule> {
    return this.schedules.cancelDeviceSchedule(actorOf(principal, request), id);
  }

  @Get(':receiver_id')
  @ApiOperation({ summary: "One receiver's connection state" })
  get(@Param('receiver_id') receiverId: string): Promise<ReceiverConnection> {
    return this.live.get(receiverId);
  }

  @Post()
  @RequireRole('operator')
  @ApiOperation({
    summary: 'Take: connect a sender to a receiver (one IS-05 PATCH), answered with the /active the device reports',
    description:
      '200 activated and verified; 202 scheduled on the device; 404 unknown receiver/sender; 409 incompatible or receiver busy; 403 refused by a policy; 423 locked; 502 the device refused; 504 the device did not answer.',
  })
  @Idempotent((request) => [parseInput(TakeRequest, request.body, 'invalid_take'), overrideReasonOf(request)])
  @ApiHeader({ name: 'X-Override-Reason', required: false, description: 'engineers pass policies, admins pass locks, with this reason' })
  @ApiZodBody(TakeRequest)
  async take(
    @Body(new ZodPipe(TakeRequest, 'invalid_take')) take: TakeRequest,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @IdempotencyAttempt() attempt: IdempotentAttempt,
  ): Promise<TakeResult> {
    const result = await this.takes.take(actorOf(principal, request), take, overrideReasonOf(request), attempt);
    void reply.status(result.state === 'scheduled' ? 202 : 200);
    return result;
  }

  @Delete(':receiver_id')
  @RequireRole('operator')
  @ApiOperation({ summary: 'Disconnect: one PATCH (master_enable false, sender_id null, immediate), verified on /active' })
  @ApiHeader({ name: 'X-Override-Reason', required: false })
  disconnect(@Param('receiver_id') receiverId: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<TakeResult> {
    return this.takes.disconnect(actorOf(principal, request), receiverId, overrideReasonOf(request));
  }

  @Put(':receiver_id/lock')
  @RequireRole('operator')
  @ApiOperation({ summary: 'Lock (protect) a receiver: takes by anyone but you are refused (423) unless an admin overrides' })
  @ApiZodBody(LockRequest)
  lock(
    @Param('receiver_id') receiverId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<ReceiverLock> {
    return this.guards.lock(actorOf(principal, request), receiverId, body, overrideReasonOf(request));
  }

  @Delete(':receiver_id/lock')
  @HttpCode(204)
  @RequireRole('operator')
  @ApiOperation({ summary: "Unlock: the lock's owner, or an admin with X-Override-Reason" })
  async unlock(@Param('receiver_id') receiverId: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<void> {
    await this.guards.unlock(actorOf(principal, request), receiverId, overrideReasonOf(request));
  }
}
