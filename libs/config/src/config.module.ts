import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './domain/app-config.js';

/** Makes the one validated AppConfig injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] };
  }
}
