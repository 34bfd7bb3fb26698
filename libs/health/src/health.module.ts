import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './api/health.controller.js';
import { DatabaseHealth } from './application/database.health.js';
import { HealthContributors } from './application/health-contributors.js';
import { ReadinessState } from './application/readiness-state.js';

/** Liveness and readiness for orchestrators; other modules add to readiness through HealthContributors. */
@Global()
@Module({
  // Terminus logs every failed check; a probe every few seconds during an outage would flood the log.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [HealthContributors, ReadinessState, DatabaseHealth],
  exports: [HealthContributors, ReadinessState, TerminusModule],
})
export class HealthModule {}
