import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createRootLogger } from '#common';
import { loadConfig } from '#config';
import { createControllerApp } from '../../apps/controller/src/create-app.js';
import { ApiClient } from './api-client.js';

export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnop';
export const TEST_ADMIN = { username: 'admin', password: 'admin-password-1' };

export interface RunningController {
  url: string;
  api: ApiClient;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

/** The real application, in this process, on a free loopback port, against the database `env` names. */
export async function startController(env: Record<string, string>): Promise<RunningController> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    SHUTDOWN_DRAIN_SECONDS: '0',
    // 1883 is taken by Mosquitto on the team's machines: the embedded broker takes any free port.
    MQTT_EMBEDDED_PORT: '0',
    // Tests read lease holders, modes and registry detail from the probe (production shows statuses only).
    HEALTH_DETAIL: 'full',
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_USERNAME: TEST_ADMIN.username,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    ...env,
  });
  const app = await createControllerApp(config, createRootLogger(config.logLevel), { docsUi: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, api: new ApiClient(url), app, close: () => app.close() };
}
