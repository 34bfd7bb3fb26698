import { Controller, Get, Param, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, formatTai } from '#common';
import { NmosQueryService } from '../application/nmos-query.service.js';
import { NMOS_TYPES } from '../domain/nmos-resource.js';
import { NmosErrorFilter } from './nmos-error.filter.js';

const SERVER_PAGING_LIMIT = 1000;

/**
 * The merged facility as a read-only IS-04 v1.3 Query API, so third-party NMOS tools can browse it: lists
 * with basic queries and the spec's paging headers, single resources. No subscriptions. A bearer token
 * (viewer and up) is needed, as on every route of the controller.
 */
@ApiTags('nmos')
@ApiBearerAuth()
@UseFilters(NmosErrorFilter)
@Controller('x-nmos/query')
export class AggregatedQueryApiController {
  constructor(private readonly query: NmosQueryService) {}

  @Get()
  @ApiOperation({ summary: 'IS-04 Query API versions served: v1.3' })
  versions(): string[] {
    return ['v1.3/'];
  }

  @Get('v1.3')
  @ApiOperation({ summary: 'IS-04 Query API v1.3 root (read-only, aggregated)' })
  root(): string[] {
    return NMOS_TYPES.map((t) => `${t}/`);
  }

  @Get('v1.3/:type')
  @ApiOperation({ summary: 'IS-04 Query API list of the merged facility: basic queries, paging.since/until/limit/order, X-Paging-* and Link headers' })
  async list(@Param('type') type: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const url = new URL(request.url, 'http://controller');
    const page = await this.query.queryApiList(type, url.searchParams, SERVER_PAGING_LIMIT);
    const base = `${request.protocol}://${request.headers.host}${url.pathname}`;
    const link = (params: Record<string, string>, rel: string) => {
      const q = new URLSearchParams([...url.searchParams.entries()].filter(([k]) => !k.startsWith('paging.')));
      q.set('paging.order', url.searchParams.get('paging.order') ?? 'update');
      q.set('paging.limit', String(page.limit));
      for (const [k, v] of Object.entries(params)) q.set(k, v);
      return `<${base}?${q.toString().replace(/%3A/g, ':')}>; rel="${rel}"`;
    };
    void reply.headers({
      'content-type': 'application/json; charset=utf-8',
      'x-paging-limit': String(page.limit),
      'x-paging-since': formatTai(page.since),
      'x-paging-until': formatTai(page.until),
      link: [
        link({ 'paging.until': formatTai(page.since) }, 'prev'),
        link({ 'paging.since': formatTai(page.until) }, 'next'),
        link({ 'paging.since': '0:0' }, 'first'),
        link({}, 'last'),
      ].join(', '),
    });
    // Already JSON: the resources' own text from PostgreSQL.
    return page.json;
  }

  @Get('v1.3/:type/:id')
  @ApiOperation({ summary: 'One resource of the merged facility, as IS-04 serves it' })
  async get(@Param('type') type: string, @Param('id') id: string): Promise<unknown> {
    const found = await this.query.getResource(type, id);
    if (!found) throw new DomainError('not_found', 'resource_not_found', `no ${type} ${id}`);
    return found;
  }
}
