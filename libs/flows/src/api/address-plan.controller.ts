import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '#auth';
import { ApiZodBody, ApiZodQuery, CurrentPrincipal, queryFlag, RequireRole, ZodPipe } from '#common';
import { AddressPlanService } from '../application/address-plan.service.js';
import { CollisionsService } from '../application/collisions.service.js';
import { AllocationInput, BucketInput, CheckQuery } from '../domain/address-plan-input.js';
import { actorOf } from './flow-actor.js';

const uuid = new ParseUUIDPipe({ version: undefined });
const NextFreeQuery = z.object({
  leg: z.enum(['a', 'b'], { message: 'must be a or b' }).optional(),
  count: z.coerce.number({ message: 'must be 1-256' }).int('must be 1-256').min(1, 'must be 1-256').max(256, 'must be 1-256').default(1),
});
const CollisionsQuery = z.object({ merged_view: queryFlag.default(false).describe('also the senders no flow describes, read from their SDPs') });

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
  @ApiZodQuery(NextFreeQuery)
  nextFree(@Param('id', uuid) id: string, @Query(new ZodPipe(NextFreeQuery, 'invalid_query')) { leg, count }: z.infer<typeof NextFreeQuery>) {
    return this.plan.peek(id, leg, count);
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
  @ApiZodQuery(CollisionsQuery)
  report(@Query(new ZodPipe(CollisionsQuery, 'invalid_query')) { merged_view }: z.infer<typeof CollisionsQuery>) {
    return this.collisions.report(merged_view);
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
