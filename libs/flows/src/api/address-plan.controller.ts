import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '#auth';
import { ApiZodBody, ApiZodQuery, CurrentPrincipal, DomainError, RequireRole } from '#common';
import { AddressPlanService } from '../application/address-plan.service.js';
import { CollisionsService } from '../application/collisions.service.js';
import { AllocationInput, BucketInput, CheckQuery } from '../domain/address-plan-input.js';
import { actorOf } from './flow-actor.js';

const uuid = new ParseUUIDPipe({ version: undefined });

/** The multicast address plan: buckets, their usage, allocation and release. */
@ApiTags('address plan')
@ApiBearerAuth()
@Controller('api')
export class AddressPlanController {
  constructor(
    private readonly plan: AddressPlanService,
    private readonly collisions: CollisionsService,
  ) {}

  @Get('address-buckets')
  @ApiOperation({ summary: 'Every bucket with its usage (size, reserved, in the inventory, free)' })
  list() {
    return this.plan.list();
  }

  @Post('address-buckets')
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Add a bucket (engineer and up): cidr or first_addr/last_addr, leg a|b|any, port, parent_id; 409 bucket_overlap' })
  @ApiZodBody(BucketInput)
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.plan.create(body, actorOf(principal, request));
  }

  @Get('address-buckets/:id')
  @ApiOperation({ summary: 'A bucket, its usage and its reservations' })
  get(@Param('id', uuid) id: string) {
    return this.plan.get(id);
  }

  @Delete('address-buckets/:id')
  @HttpCode(204)
  @RequireRole('engineer')
  async remove(@Param('id', uuid) id: string): Promise<void> {
    await this.plan.remove(id);
  }

  @Get('address-buckets/:id/next-free')
  @ApiOperation({ summary: 'The groups the bucket would hand out next on a leg (nothing reserved)' })
  nextFree(@Param('id', uuid) id: string, @Query('leg') leg?: string, @Query('count') count?: string) {
    if (leg !== undefined && leg !== 'a' && leg !== 'b')
      throw new DomainError('invalid', 'invalid_query', 'leg: must be a or b', { fields: [{ field: 'leg', message: 'must be a or b' }] });
    const n = count === undefined ? 1 : Number(count);
    if (!Number.isInteger(n) || n < 1 || n > 256)
      throw new DomainError('invalid', 'invalid_query', 'count: must be 1-256', { fields: [{ field: 'count', message: 'must be 1-256' }] });
    return this.plan.peek(id, leg, n);
  }

  @Post('address-buckets/:id/allocate')
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Reserve the next free group(s) of a bucket on a leg (engineer and up); 409 bucket_full' })
  @ApiZodBody(AllocationInput)
  allocate(@Param('id', uuid) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.plan.allocate(id, body, actorOf(principal, request));
  }

  @Delete('address-reservations/:id')
  @HttpCode(204)
  @RequireRole('engineer')
  async release(@Param('id', uuid) id: string): Promise<void> {
    await this.plan.release(id);
  }

  @Get('checker/collisions')
  @ApiOperation({
    summary:
      'Multicast collisions across the inventory (and, with merged_view=true, the senders no flow describes, read from their SDPs): per leg and group, the streams sharing it (error: same port; warning: another port)',
  })
  @ApiQuery({ name: 'merged_view', required: false })
  report(@Query('merged_view') mergedView?: string) {
    if (mergedView !== undefined && mergedView !== 'true' && mergedView !== 'false') {
      throw new DomainError('invalid', 'invalid_query', 'merged_view: must be true or false', {
        fields: [{ field: 'merged_view', message: 'must be true or false' }],
      });
    }
    return this.collisions.report(mergedView === 'true');
  }

  @Get('checker/check')
  @ApiOperation({
    summary: 'Is this group free on this leg (source-specific kept apart)? If not, who has it and free alternatives from the plan. Records nothing.',
  })
  @ApiZodQuery(CheckQuery)
  check(@Query() query: Record<string, string>) {
    return this.collisions.check(query);
  }
}
