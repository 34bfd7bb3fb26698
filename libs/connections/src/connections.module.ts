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
import { ActiveStateCheck } from './application/active-state-check.service.js';
import { GuardAdmin } from './application/guard-admin.service.js';
import { CollisionGuard } from './application/collision-guard.js';
import { SenderActiveReader } from './application/sender-active-reader.js';
import { SenderAddressing } from './application/sender-addressing.service.js';
import { InflightLocks } from './application/inflight-locks.js';
import { LiveStateService } from './application/live-state.service.js';
import { NamedSalvos } from './application/named-salvos.service.js';
import { RoutingAuditService } from './application/routing-audit.service.js';
import { RoutingGuard } from './application/routing-guard.js';
import { RoutingRecorder } from './application/routing-recorder.js';
import { RoutingScheduler } from './application/routing-scheduler.service.js';
import { SalvoService } from './application/salvo.service.js';
import { SchedulesService } from './application/schedules.service.js';
import { SwitchEngine } from './application/switch-engine.js';
import { TakeService } from './application/take.service.js';
import { TargetResolver } from './application/target-resolver.js';
import { AuditRepository } from './infra/audit.repository.js';
import { ConnectionStateRepository } from './infra/connection-state.repository.js';
import { DeviceGateway } from './infra/device-gateway.js';
import { GuardRepository } from './infra/guard.repository.js';
import { InflightRepository } from './infra/inflight.repository.js';
import { SalvoRepository } from './infra/salvo.repository.js';
import {
  LocksBackupSection,
  PoliciesBackupSection,
  RoutingSettingsBackupSection,
  SalvosBackupSection,
  SchedulesBackupSection,
} from './infra/routing.backup.js';
import { Routing1764201600500 } from './migrations/1764201600500-routing.js';
import { RoutingAuditTime1764201601000 } from './migrations/1764201601000-routing-audit-time.js';
import { RoutingConditions } from './application/routing.conditions.js';

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
