import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '#auth';
import { ApiZodBody, CurrentPrincipal, RequireRole } from '#common';
import { AddressAssignment, SenderAddressing, type AddressAssignmentResult } from '../routing/application/sender-addressing.service.js';
import { actorOf, overrideReasonOf } from './actor.js';

/** The sender side of IS-05: where a sender sends (its multicast groups, both legs). */
@ApiTags('connections')
@ApiBearerAuth()
@Controller('api/senders')
export class SendersController {
  constructor(private readonly addressing: SenderAddressing) {}

  @Post(':id/addresses')
  @HttpCode(200)
  @RequireRole('engineer')
  @ApiOperation({
    summary:
      'Give a sender its multicast groups (engineer and up): given, or allocated from address buckets; checked against the inventory (409 multicast_collision); PATCHed to its /staged, verified on /active, recorded on its flow',
  })
  @ApiZodBody(AddressAssignment)
  @ApiHeader({ name: 'X-Override-Reason', required: false, description: 'go ahead despite a collision (audited on the flow)' })
  assign(
    @Param('id', new ParseUUIDPipe({ version: undefined })) id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<AddressAssignmentResult> {
    return this.addressing.assign(actorOf(principal, request), id, body, overrideReasonOf(request));
  }
}
