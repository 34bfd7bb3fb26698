import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { setFlagsFromString } from 'node:v8';
import { createRootLogger, INSTANCE_ID, sleep } from '#common';
import { AppConfig, ConfigError, environmentWithDotenv, loadConfig } from '#config';
import { EventsService } from '#events';
import { ReadinessState } from '#health';
import { createControllerApp } from './create-app.js';
import { HttpDrain } from './http-drain.js';

// V8 lets the old generation grow by about half again after each full collection by default: a plant's
// sync and read load (pages of 100 KB strings) then left 380-500 MB resident at 50,000 resources, most of
// it garbage (the live heap is 60-80 MB). Growing by 30 % keeps it under 280 MB at the same read
// throughput (bench:scale; README, Benchmarks). This flag takes effect at run time; the young
// generation's size does not, so `npm start` and the image also pass --max-semi-space-size=4.
// A site that set its own on the command line keeps it.
if (!process.execArgv.some((flag) => flag.startsWith('--heap-growing-percent'))) setFlagsFromString('--heap-growing-percent=30');

/** After the drain, how long requests in flight may take to finish (takes and salvos wait on devices). */
const IN_FLIGHT_GRACE_MS = 15_000;

function readConfig(): AppConfig {
  try {
    return loadConfig(environmentWithDotenv(process.env));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createRootLogger(config.logLevel, { instance: INSTANCE_ID });
  const startedAt = performance.now();
  let app: NestFastifyApplication | undefined;
  let drain: HttpDrain | undefined;
  let stopping = false;

  // A rolling update loses no request: readiness turns 503 and every answer closes its connection, so a
  // balancer that follows readiness stops sending; then the listener closes, so one that does not is
  // refused and retries elsewhere; requests in flight finish; only then are leases released and pools
  // closed (Nest's close runs the modules' destroy and before-shutdown hooks, which hand back leases and
  // stop the relay and watchers, before it closes the HTTP server).
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, drain_seconds: config.shutdownDrainSeconds }, 'shutting down: readiness is now 503');
    if (app) {
      app.get(ReadinessState).startDraining();
      drain?.closeAfterEachResponse();
      await sleep(config.shutdownDrainSeconds * 1000);
      const { destroyed } = (await drain?.stopListening(IN_FLIGHT_GRACE_MS)) ?? { destroyed: 0 };
      logger.info({ destroyed }, 'stopped listening; requests in flight finished');
      await app.close();
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    app = await createControllerApp(config, logger);
    drain = new HttpDrain(app.getHttpServer());
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    const portTaken = (err as NodeJS.ErrnoException)?.code === 'EADDRINUSE';
    logger.fatal({ err: message }, portTaken ? `port ${config.port} is taken: set PORT to a free port` : 'could not start');
    await app?.close().catch(() => undefined);
    process.exit(1);
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const embeddedBroker = app.get(EventsService).embeddedBrokerUrl;
  const subscriber = app.get(EventsService).embeddedBrokerSubscriber;
  logger.info({ port, ready_ms: Math.round(performance.now() - startedAt), database: config.database.mode }, 'ready');
  process.stdout.write(
    `nmos-control listening on http://${shownHost}:${port}\n` +
      `  API docs:  http://${shownHost}:${port}/api/docs\n` +
      (embeddedBroker && subscriber
        ? `  MQTT:      ${embeddedBroker} (embedded broker; subscribe as ${subscriber.username} / ${subscriber.password})\n`
        : '') +
      `  log in:    curl -X POST http://${shownHost}:${port}/api/login -H 'Content-Type: application/json' -d '{"username":"admin","password":"..."}'\n`,
  );
}

void main();
