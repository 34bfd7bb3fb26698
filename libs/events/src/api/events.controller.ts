import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiZodQuery, CurrentPrincipal, DomainError, PageLimitQuery, wholeNumber, ZodPipe } from '#common';
import { EventStream } from '../application/event-stream.service.js';
import { EventsService } from '../application/events.service.js';
import type { PublishedEvent } from '../domain/event.js';

const EventsAfterQuery = PageLimitQuery.extend({ after: wholeNumber(0).default(0).describe('sequence number (default 0)') });

@ApiTags('events')
@ApiBearerAuth()
@Controller('api/events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly stream: EventStream,
  ) {}

  @Get('stream')
  @ApiOperation({
    summary:
      'The same events as a live server-sent event stream (text/event-stream; viewer and up, same topics as above): `id` is the sequence number, `event` the type, `data` the JSON. Resume with Last-Event-ID (or ?after=) on any replica: nothing is missed. A comment line every 15 s keeps proxies from closing it; the stream ends when the replica drains',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'the last sequence number received' })
  @ApiQuery({ name: 'after', required: false, description: 'sequence number to start after (default: now)' })
  async live(
    @CurrentPrincipal() principal: { role: string },
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('after') after: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const from = lastEventId ?? after;
    const position = from === undefined ? await this.events.latestSeq() : Number(from);
    if (!Number.isSafeInteger(position) || position < 0) {
      const field = lastEventId !== undefined ? 'Last-Event-ID' : 'after';
      throw new DomainError('invalid', 'validation_failed', `${field}: must be a whole number from 0`, {
        fields: [{ field, message: 'must be a whole number from 0' }],
      });
    }
    const clientGone = new AbortController();
    request.raw.once('close', () => clientGone.abort());
    const signal = this.stream.open(clientGone.signal);
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // nginx: pass each event on at once instead of buffering the answer.
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    // The starting position as the first id: a client that reconnects before any event resumes from here.
    out.write(`retry: 2000\nid: ${position}\n\n`);
    const heartbeat = setInterval(() => out.write(': keep-alive\n\n'), 15_000);
    try {
      for await (const event of this.stream.follow(position, principal.role, signal)) {
        out.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      }
    } catch {
      // The database went away mid-stream: the client reconnects with its Last-Event-ID.
    } finally {
      clearInterval(heartbeat);
      out.end();
    }
  }

  @Get()
  @ApiOperation({
    summary:
      'Events after a sequence number, in order, exactly as published on MQTT (viewer and up): how a subscriber that saw a gap resyncs. Audit events are shown to the roles that may read their routes (audit/users: admin; audit/registry-config: engineer and up)',
  })
  @ApiZodQuery(EventsAfterQuery)
  after(
    @CurrentPrincipal() principal: { role: string },
    @Query(new ZodPipe(EventsAfterQuery)) query: z.infer<typeof EventsAfterQuery>,
  ): Promise<PublishedEvent[]> {
    return this.events.after(query.after, query.limit, principal.role);
  }
}
