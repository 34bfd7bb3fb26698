import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './api/health.controller.js';
import { AlertConditions } from './application/alert-conditions.js';
import { HealthContributors } from './application/health-contributors.js';
import { ReadinessState } from './application/readiness-state.js';

/**
 * Liveness and readiness for orchestrators; other modules add to readiness through HealthContributors,
 * and say what is wrong for the alert hooks through AlertConditions.
 */
@Global()
@Module({
  // Terminus logs every failed check; a probe every few seconds during an outage would flood the log.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [HealthContributors, ReadinessState, AlertConditions],
  exports: [HealthContributors, ReadinessState, TerminusModule, AlertConditions],
})
export class HealthModule {}
