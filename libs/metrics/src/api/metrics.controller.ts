import { Controller, Get, Headers, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '#common';
import { AppConfig } from '#config';
import { MetricsService } from '../application/metrics.service.js';

@ApiTags('metrics')
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** No token by default, as Prometheus scrapes; `METRICS_TOKEN` makes it ask for that bearer token. */
  @Public()
  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus exposition of this replica (no token unless METRICS_TOKEN is set; then that bearer token)' })
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const expected = this.config.metricsToken;
    if (expected && !sameSecret(authorization ?? '', `Bearer ${expected}`)) throw new UnauthorizedException('metrics need the METRICS_TOKEN bearer token');
    const { body, contentType } = await this.metrics.scrape();
    void reply.header('content-type', contentType);
    return body;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
