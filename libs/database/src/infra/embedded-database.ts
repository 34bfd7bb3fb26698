import { Logger } from '@nestjs/common';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { dataDirSecret, type PostgresTarget } from '#config';
import { PostgresServer } from './postgres-server.js';

const DATABASE = 'nmos_control';
const USER = 'nmos';

/**
 * The default database: a real PostgreSQL in DATA_DIR/postgres, kept across restarts, listening on
 * loopback only. Its password is generated once and kept in DATA_DIR.
 */
export async function startEmbeddedDatabase(dataDir: string, port: number): Promise<{ server: PostgresServer; target: PostgresTarget }> {
  const logger = new Logger('EmbeddedDatabase');
  const root = resolve(dataDir);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const password = dataDirSecret(root, 'postgres.password');
  const server = new PostgresServer({
    dataDir: join(root, 'postgres'),
    port,
    user: USER,
    password,
    portVariable: 'EMBEDDED_DATABASE_PORT',
    onLog: (line) => logger.debug(line.trim()),
  });
  await server.initialise();
  await server.start();
  const exists = await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  if (exists.length === 0) await server.query(`CREATE DATABASE ${DATABASE}`);
  logger.log({ port, dataDir: join(root, 'postgres') }, 'embedded PostgreSQL started');
  return {
    server,
    target: {
      hosts: [{ host: '127.0.0.1', port }],
      user: USER,
      password,
      database: DATABASE,
      sslmode: 'disable',
      sslFiles: {},
      poolMax: 10,
      poolMin: 0,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 30_000,
      applicationName: 'nmos-control',
      targetSessionAttrs: 'any',
    },
  };
}
