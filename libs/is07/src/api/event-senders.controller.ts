import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Is07Service } from '../application/is07.service.js';
import type { EventSenderView } from '../domain/event-sender.js';

@ApiTags('is07')
@ApiBearerAuth()
@Controller('api/event-senders')
export class EventSendersController {
  constructor(private readonly is07: Is07Service) {}

  @Get()
  @ApiOperation({
    summary:
      'Every IS-07 sender over MQTT in the merged view (viewer and up): its broker and topics from its IS-05 /active, whether this replica follows them (or why not), its connection status and its last state',
  })
  list(): Promise<EventSenderView[]> {
    return this.is07.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One IS-07 MQTT sender, as in the list (404 if the merged view has no such MQTT sender)' })
  get(@Param('id', new ParseUUIDPipe({ version: undefined })) id: string): Promise<EventSenderView> {
    return this.is07.get(id);
  }
}
