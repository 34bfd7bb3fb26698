import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '#common';
import { HealthContributors } from '../application/health-contributors.js';
import { ReadinessState } from '../application/readiness-state.js';

@ApiTags('health')
@Public()
@Controller('api/health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly contributors: HealthContributors,
    private readonly readiness: ReadinessState,
  ) {}

  /** Liveness: the process and its event loop answer. Depends on nothing outside the process, so a database failover never restarts pods. */
  @Get()
  @ApiOperation({ summary: 'Liveness probe (no token): 200 while the process serves requests' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: 503 when this replica cannot serve writes, or is draining for shutdown. No credentials in the output. */
  @Get('detail')
  @ApiOperation({ summary: 'Readiness probe (no token): primary, replicas and their lag, lease holders, later MQTT and registries' })
  @ApiOkResponse({ description: 'ready (status ok or degraded)' })
  @ApiServiceUnavailableResponse({ description: 'not ready: the primary cannot take writes, or the replica is shutting down' })
  async detail(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    if (this.readiness.draining) {
      void reply.status(503);
      return { status: 'shutting_down', details: {} };
    }
    try {
      return await this.health.check(this.contributors.all());
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      void reply.status(503);
      return err.getResponse();
    }
  }
}
