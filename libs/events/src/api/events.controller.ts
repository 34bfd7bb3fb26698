import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, DomainError } from '#common';
import { EventsService } from '../application/events.service.js';
import type { PublishedEvent } from '../domain/event.js';

@ApiTags('events')
@ApiBearerAuth()
@Controller('api/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({
    summary:
      'Events after a sequence number, in order, exactly as published on MQTT (viewer and up): how a subscriber that saw a gap resyncs. Audit events are shown to the roles that may read their routes (audit/users: admin; audit/registry-config: engineer and up)',
  })
  @ApiQuery({ name: 'after', required: false, description: 'sequence number (default 0)' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  after(@CurrentPrincipal() principal: { role: string }, @Query('after') after?: string, @Query('limit') limit?: string): Promise<PublishedEvent[]> {
    const seq = after === undefined ? 0 : Number(after);
    const count = limit === undefined ? 100 : Number(limit);
    const fields = [
      ...(Number.isSafeInteger(seq) && seq >= 0 ? [] : [{ field: 'after', message: 'must be a whole number from 0' }]),
      ...(Number.isInteger(count) && count >= 1 && count <= 1000 ? [] : [{ field: 'limit', message: 'must be a whole number from 1 to 1000' }]),
    ];
    if (fields.length > 0) throw new DomainError('invalid', 'validation_failed', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
    return this.events.after(seq, count, principal.role);
  }
}
