import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NmosQueryService } from '../application/nmos-query.service.js';
import { RegistryStatusService, type RegistryStatus } from '../application/registry-status.service.js';
import { NMOS_TYPES } from '../domain/nmos-resource.js';
import type { MergedResource, ResourceCopy } from '../domain/merged-resource.js';

@ApiTags('nmos')
@ApiBearerAuth()
@Controller('api')
export class NmosController {
  constructor(
    private readonly query: NmosQueryService,
    private readonly status: RegistryStatusService,
  ) {}

  @Get('nmos/:type')
  @ApiOperation({
    summary:
      'The merged view of every registry (viewer and up): filter by any field (dotted path, as IS-04 basic queries), q= text in label and description, registry=, stale=; sort=label|id|version|first_seen|last_seen (- for descending); limit (1-1000) and cursor; X-Total-Count',
  })
  @ApiParam({ name: 'type', enum: NMOS_TYPES })
  @ApiQuery({ name: 'q', required: false })
  @ApiQuery({ name: 'registry', required: false })
  @ApiQuery({ name: 'stale', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'sort', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@Param('type') type: string, @Query() query: Record<string, string | string[]>, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const answer = await this.query.list(type, query);
    void reply.header('x-total-count', String(answer.total)).header('content-type', 'application/json; charset=utf-8');
    if (answer.nextCursor) void reply.header('x-next-cursor', answer.nextCursor);
    // Already JSON, built by PostgreSQL.
    return answer.json;
  }

  @Get('nmos/:type/:id')
  @ApiOperation({ summary: 'One resource with its provenance: which registries report it, their versions, first and last seen, stale' })
  @ApiParam({ name: 'type', enum: NMOS_TYPES })
  get(@Param('type') type: string, @Param('id') id: string): Promise<MergedResource & { copies: ResourceCopy[] }> {
    return this.query.get(type, id);
  }

  @Get('registry/status')
  @ApiOperation({
    summary:
      'Per registry: state (connected, syncing, degraded, down, disabled), endpoint in use, API version, resources per type, last event, last error, sync progress; `source` configured or dns-sd',
  })
  @ApiOkResponse({
    description:
      'one entry per configured registry, then, with REGISTRY_DNS_SD on, `dns-sd`: the Query APIs found by DNS-SD as one logical registry, with `discovery` (every service found, the URL used or why it is ignored)',
  })
  registryStatus(): Promise<RegistryStatus[]> {
    return this.status.list();
  }
}
