import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AppConfig, dataDirSecret } from '#config';
import { EventsModule } from '#events';
import { ApiTokensController } from './api/api-tokens.controller.js';
import { AuthController } from './api/auth.controller.js';
import { BearerAuthGuard } from './api/bearer-auth.guard.js';
import { JwtStrategy } from './infra/jwt.strategy.js';
import { UsersController } from './api/users.controller.js';
import { ApiTokensService } from './application/api-tokens.service.js';
import { FirstAdminService } from './application/first-admin.service.js';
import { LoginFailuresJanitor } from './application/login-failures-janitor.service.js';
import { LoginService } from './application/login.service.js';
import { LoginThrottle } from './application/login-throttle.service.js';
import { PrincipalDirectory } from './application/principal-directory.service.js';
import { PrincipalResolver } from './application/principal-resolver.service.js';
import { UsersService } from './application/users.service.js';
import { ApiTokensRepository } from './infra/api-tokens.repository.js';
import { JwtKeys } from './infra/jwt-keys.js';
import { LoginFailuresRepository } from './infra/login-failures.repository.js';
import { UsersRepository } from './infra/users.repository.js';
import { ApiTokensBackupSection, UsersBackupSection } from './infra/auth.backup.js';
import { AuthTables1764201600100 } from './migrations/1764201600100-auth-tables.js';
import { LoginAttempts1764201600700 } from './migrations/1764201600700-login-attempts.js';

export const AUTH_MIGRATIONS = [AuthTables1764201600100, LoginAttempts1764201600700];

/** Users, then the API tokens they made: the Backup module writes sections in this order. */
export const AUTH_BACKUP_SECTIONS = 'AUTH_BACKUP_SECTIONS';

/** Users, roles, bearer JWTs and API tokens; guards every route that is not @Public. */
@Module({
  imports: [PassportModule, EventsModule],
  controllers: [AuthController, UsersController, ApiTokensController],
  providers: [
    {
      provide: JwtKeys,
      inject: [AppConfig],
      // Embedded mode keeps a generated secret in DATA_DIR; with an external database JWT_SECRET is required (config checks).
      useFactory: (config: AppConfig) =>
        new JwtKeys(config.jwtSecret ?? dataDirSecret(config.dataDir, 'jwt.secret'), config.jwtSecretPrevious, config.jwtTtlSeconds),
    },
    UsersRepository,
    ApiTokensRepository,
    LoginFailuresRepository,
    PrincipalResolver,
    PrincipalDirectory,
    LoginThrottle,
    LoginService,
    UsersService,
    ApiTokensService,
    FirstAdminService,
    LoginFailuresJanitor,
    JwtStrategy,
    UsersBackupSection,
    ApiTokensBackupSection,
    { provide: AUTH_BACKUP_SECTIONS, inject: [UsersBackupSection, ApiTokensBackupSection], useFactory: (...sections: unknown[]) => sections },
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [UsersService, PrincipalDirectory, AUTH_BACKUP_SECTIONS],
})
export class AuthModule {}
