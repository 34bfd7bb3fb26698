export { ConfigModule } from './config.module.js';
export { AppConfig, type AppConfigValues, type DatabaseSettings, type DnsSdSettings, type EventsSettings, type AlertSettings } from './domain/app-config.js';
export { ConfigError } from './domain/config.error.js';
export { loadConfig, CONFIG_VARIABLES, USERNAME, USERNAME_RULE } from './application/load-config.js';
export { environmentWithDotenv } from './application/read-env-file.js';
export { dataDirSecret } from './application/data-dir-secret.js';
export { describeTarget, sslOptionsFor, type PostgresTarget, type HostPort, type TargetSessionAttrs } from './domain/postgres-target.js';
