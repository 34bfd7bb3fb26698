import { Module } from '@nestjs/common';
import { AuthModule } from '#auth';
import { EventsModule } from '#events';
import { FlowsModule } from '#flows';
import { RegistryModule } from '#registry';
import { ConnectionsController } from './api/connections.controller.js';
import { RoutingController } from './api/routing.controller.js';
import { SalvosController } from './api/salvos.controller.js';
import { SendersController } from './api/senders.controller.js';
import { SchedulesController } from './api/schedules.controller.js';
import { ActiveStateCheck } from './live-state/application/active-state-check.service.js';
import { GuardAdmin } from './guard/application/guard-admin.service.js';
import { CollisionGuard } from './guard/application/collision-guard.js';
import { SenderActiveReader } from './routing/application/sender-active-reader.js';
import { SenderAddressing } from './routing/application/sender-addressing.service.js';
import { InflightLocks } from './routing/application/inflight-locks.js';
import { LiveStateService } from './live-state/application/live-state.service.js';
import { NamedSalvos } from './scheduling/application/named-salvos.service.js';
import { RoutingAuditService } from './routing/application/routing-audit.service.js';
import { RoutingGuard } from './guard/application/routing-guard.js';
import { RoutingRecorder } from './routing/application/routing-recorder.js';
import { RoutingScheduler } from './scheduling/application/routing-scheduler.service.js';
import { SalvoService } from './routing/application/salvo.service.js';
import { SchedulesService } from './scheduling/application/schedules.service.js';
import { SwitchEngine } from './routing/application/switch-engine.js';
import { TakeService } from './routing/application/take.service.js';
import { TargetResolver } from './routing/application/target-resolver.js';
import { AuditRepository } from './routing/infra/audit.repository.js';
import { ConnectionStateRepository } from './live-state/infra/connection-state.repository.js';
import { DeviceGateway } from './routing/infra/device-gateway.js';
import { GuardRepository } from './guard/infra/guard.repository.js';
import { InflightRepository } from './routing/infra/inflight.repository.js';
import { SalvoRepository } from './scheduling/infra/salvo.repository.js';
import {
  LocksBackupSection,
  PoliciesBackupSection,
  RoutingSettingsBackupSection,
  SalvosBackupSection,
  SchedulesBackupSection,
} from './infra/routing.backup.js';
import { Routing1764201600500 } from './migrations/1764201600500-routing.js';
import { RoutingAuditTime1764201601000 } from './migrations/1764201601000-routing-audit-time.js';
import { RoutingConditions } from './routing/application/routing.conditions.js';

export const CONNECTIONS_MIGRATIONS = [Routing1764201600500, RoutingAuditTime1764201601000];

/** Routing's configuration in a backup; saved salvos before the schedules that name them. */
export const ROUTING_BACKUP_SECTIONS = 'ROUTING_BACKUP_SECTIONS';
const routingSections = [PoliciesBackupSection, RoutingSettingsBackupSection, LocksBackupSection, SalvosBackupSection, SchedulesBackupSection];

/**
 * Routing with IS-05: takes, disconnects, salvos, schedules (on devices and in the controller), live
 * connection state and tally, locks and policies, the per-receiver claim, audit and idempotency.
 */
@Module({
  imports: [AuthModule, EventsModule, RegistryModule, FlowsModule],
  controllers: [ConnectionsController, SalvosController, SchedulesController, RoutingController, SendersController],
  providers: [
    AuditRepository,
    ConnectionStateRepository,
    DeviceGateway,
    GuardRepository,
    InflightRepository,
    SalvoRepository,
    TargetResolver,
    RoutingGuard,
    CollisionGuard,
    SenderAddressing,
    SenderActiveReader,
    InflightLocks,
    RoutingRecorder,
    SwitchEngine,
    TakeService,
    SalvoService,
    NamedSalvos,
    SchedulesService,
    RoutingScheduler,
    LiveStateService,
    ActiveStateCheck,
    GuardAdmin,
    RoutingAuditService,
    RoutingConditions,
    ...routingSections,
    { provide: ROUTING_BACKUP_SECTIONS, inject: routingSections, useFactory: (...sections: unknown[]) => sections },
  ],
  exports: [LiveStateService, SenderActiveReader, ROUTING_BACKUP_SECTIONS],
})
export class ConnectionsModule {}
