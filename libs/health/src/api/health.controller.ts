import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '#common';
import { AppConfig } from '#config';
import { HealthContributors } from '../application/health-contributors.js';
import { ReadinessState } from '../application/readiness-state.js';

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly contributors: HealthContributors,
    private readonly readiness: ReadinessState,
    private readonly config: AppConfig,
  ) {}

  /** Liveness: the process and its event loop answer. Depends on nothing outside the process, so a database failover never restarts pods. */
  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness probe (no token): 200 while the process serves requests' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: 503 when this replica cannot serve writes, or is draining for shutdown. Anyone can ask,
   * so by default it says only each component's status (what an orchestrator acts on): endpoints, hosts
   * and error texts are for /api/health/components, behind a token. HEALTH_DETAIL=full shows all here.
   */
  @Public()
  @Get('detail')
  @ApiOperation({ summary: 'Readiness probe (no token): status of the database, leases, events and registries; the detail with HEALTH_DETAIL=full' })
  @ApiOkResponse({ description: 'ready (status ok or degraded)' })
  @ApiServiceUnavailableResponse({ description: 'not ready: the primary cannot take writes, or the replica is shutting down' })
  async detail(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const { status, result } = await this.check();
    void reply.status(status);
    return this.config.healthDetail === 'full' ? result : statusOnly(result);
  }

  @ApiBearerAuth()
  @Get('components')
  @ApiOperation({
    summary: 'Readiness in detail (viewer and up): primary, replicas and their lag, lease holders, the broker and backlog, each registry with its endpoint and last error',
  })
  @ApiOkResponse({ description: 'ready (status ok or degraded)' })
  @ApiServiceUnavailableResponse({ description: 'not ready' })
  async components(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const { status, result } = await this.check();
    void reply.status(status);
    return result;
  }

  private async check(): Promise<{ status: number; result: Partial<HealthCheckResult> }> {
    if (this.readiness.draining) return { status: 503, result: { status: 'shutting_down' as HealthCheckResult['status'], details: {} } };
    try {
      return { status: 200, result: await this.health.check(this.contributors.all()) };
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      return { status: 503, result: err.getResponse() as HealthCheckResult };
    }
  }
}

/** Each component's status and nothing else. */
function statusOnly(result: Partial<HealthCheckResult>): Record<string, unknown> {
  const strip = (section: Record<string, { status: string } | undefined> | undefined) =>
    section && Object.fromEntries(Object.entries(section).map(([name, value]) => [name, { status: value?.status }]));
  return {
    status: result.status,
    ...(result.info ? { info: strip(result.info) } : {}),
    ...(result.error ? { error: strip(result.error) } : {}),
    details: strip(result.details) ?? {},
  };
}
