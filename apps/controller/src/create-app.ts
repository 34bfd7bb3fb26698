import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { PinoLoggerService, requestIdFor } from '#common';
import type { AppConfig } from '#config';
import { AppModule } from './app.module.js';

/**
 * Builds the HTTP application (Fastify: about five times Express's throughput here) without listening,
 * so tests drive the same assembly as production.
 */
export interface CreateAppOptions {
  /**
   * Serve Swagger UI's assets at /api/docs (through @fastify/static). The OpenAPI document itself is
   * always served. In-process jest tests turn the UI off: @fastify/static requires an ESM-only package,
   * which Node 20.19 loads but jest on Node 20 cannot (see FIELD-NOTES); a process test covers the page.
   */
  docsUi?: boolean;
}

export async function createControllerApp(config: AppConfig, logger: Pino, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: requestIdFor,
    // Handlers must validate their own input; refuse prototype-pollution payloads outright.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoLoggerService(logger),
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  const httpLogger = logger.child({ context: 'http' });
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    void reply.header('x-request-id', request.id);
    // The API speaks JSON only: a body of another type is refused before any handler sees it.
    if (hasBody(request) && !isJson(request.headers['content-type'])) {
      return reply
        .status(415)
        .send({ statusCode: 415, error: 'unsupported_media_type', message: 'Request bodies must be application/json', request_id: request.id });
    }
  });
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const entry = { request_id: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    // Probes arrive every few seconds from every orchestrator: keep them out of the info log.
    if (request.url.startsWith('/api/health')) httpLogger.debug(entry, 'request');
    else httpLogger.info(entry, 'request');
  });
  if (config.corsOrigins)
    app.enableCors({
      origin: config.corsOrigins === '*' ? true : config.corsOrigins,
      exposedHeaders: ['x-request-id', 'retry-after', 'idempotent-replayed', 'x-total-count', 'x-next-cursor'],
    });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nmos-control')
      .setDescription(
        'High-availability NMOS control plane. Every route needs a bearer token (JWT from POST /api/login, or an API token) unless marked otherwise.',
      )
      .setVersion(process.env.npm_package_version ?? '0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', yamlDocumentUrl: 'api/docs-yaml', ui: options.docsUi ?? true });
  return app;
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType);
}
