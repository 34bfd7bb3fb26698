import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ALERTS_MIGRATIONS, AlertsModule } from '#alerts';
import { AUTH_MIGRATIONS, AuthModule } from '#auth';
import { BackupModule } from '#backup';
import { HttpErrorFilter } from '#common';
import { AppConfig, ConfigModule } from '#config';
import { CONNECTIONS_MIGRATIONS, ConnectionsModule } from '#connections';
import { DATABASE_MIGRATIONS, DatabaseModule } from '#database';
import { EVENTS_MIGRATIONS, EventsModule } from '#events';
import { FLOWS_ENTITIES, FLOWS_MIGRATIONS, FlowsModule } from '#flows';
import { HealthModule } from '#health';
import { IS07_MIGRATIONS, Is07Module } from '#is07';
import { MetricsModule } from '#metrics';
import { REGISTRY_MIGRATIONS, RegistryModule } from '#registry';

/** The controller: composes the subsystem modules, nothing more. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule.forRoot({
          migrations: [
            ...DATABASE_MIGRATIONS,
            ...AUTH_MIGRATIONS,
            ...REGISTRY_MIGRATIONS,
            ...EVENTS_MIGRATIONS,
            ...CONNECTIONS_MIGRATIONS,
            ...ALERTS_MIGRATIONS,
            ...FLOWS_MIGRATIONS,
            ...IS07_MIGRATIONS,
          ],
          entities: [...FLOWS_ENTITIES],
        }),
        AuthModule,
        HealthModule,
        EventsModule,
        RegistryModule,
        FlowsModule,
        ConnectionsModule,
        Is07Module,
        AlertsModule,
        BackupModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
