import { Global, Module } from '@nestjs/common';
import { MetricsController } from './api/metrics.controller.js';
import { MetricsService } from './application/metrics.service.js';

/** `/metrics`, and the registry every module records its series in (global: each module injects it). */
@Global()
@Module({ controllers: [MetricsController], providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
