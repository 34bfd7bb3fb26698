import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { parseJsonBody, PinoLoggerService, requestIdFor } from '#common';
import type { AppConfig } from '#config';
import { MqttTopicsServer } from '#events';
import { MetricsService } from '#metrics';
import { AppModule } from './app.module.js';
import { serveConsole } from './console-assets.js';

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
    // A hop count as a function (the adapter's types take no number): believe the nearest N proxies.
    trustProxy: typeof config.trustProxy === 'number' ? trustNearest(config.trustProxy) : config.trustProxy,
    genReqId: requestIdFor,
    // (Prototype-polluting keys are refused by parseJsonBody, our only body parser: Fastify's
    // onProtoPoisoning options would apply to its own JSON parser, which is replaced below.)
    // Errors Fastify raises before routing (a bad URL, a path parameter over its length) in our shape.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 400;
      void reply
        .status(status)
        .headers({ 'x-request-id': request.id, ...ERROR_HEADERS })
        .send({ statusCode: status, error: codeOf(status), message: error.message, request_id: request.id });
    },
    // Errors of the HTTP parser itself (431 headers too large, malformed requests), where no request exists yet.
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoLoggerService(logger),
    bufferLogs: false,
  });
  // Our own JSON parser: UTF-8 only, nesting bounded before parsing, no NUL anywhere (see parseJsonBody).
  app.useBodyParser('application/json', { bodyLimit: config.bodyLimitBytes }, async (request: FastifyRequest, body: Buffer) =>
    parseJsonBody(body, request.headers['content-type']),
  );
  const fastify = app.getHttpAdapter().getInstance();
  const httpLogger = logger.child({ context: 'http' });
  // RED per route: the route's template (`/api/nmos/:type/:id`), never the raw URL, so ids add no series.
  const httpDuration = app.get(MetricsService).histogram({
    name: 'nmos_control_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status: count (rate), errors (status), duration',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    void reply.header('x-request-id', request.id);
    // PostgreSQL cannot store a NUL character: refuse one anywhere in the URL (path, query keys and values).
    if (/%00|\u0000/i.test(request.url)) {
      return reply
        .status(400)
        .send({ statusCode: 400, error: 'invalid_url', message: 'The URL must not contain a NUL character (%00)', request_id: request.id });
    }
    // The API speaks JSON only: a body of another type is refused before any handler sees it.
    if (hasBody(request) && !isJson(request.headers['content-type'])) {
      return reply
        .status(415)
        .send({ statusCode: 415, error: 'unsupported_media_type', message: 'Request bodies must be application/json', request_id: request.id });
    }
  });
  fastify.addHook('onSend', async (_request: FastifyRequest, reply: FastifyReply) => {
    void reply.headers(SECURITY_HEADERS);
    // Answers carry tokens and live state: never cached, unless a static asset said otherwise.
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    const html = String(reply.getHeader('content-type') ?? '').startsWith('text/html');
    // The console's page sets its own (stricter than the docs page's).
    if (!reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', html ? DOCS_CSP : API_CSP);
  });
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    httpDuration.observe(
      { method: request.method, route: request.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
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
  if (!serveConsole(fastify)) logger.warn('the operator console is not built (npm run build): / is not served');
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', yamlDocumentUrl: 'api/docs-yaml', ui: options.docsUi ?? true });
  // Other systems' MQTT topics reach @EventPattern handlers through this replica's own broker
  // connection (made by the modules' init, so the transport listens after it).
  app.connectMicroservice({ strategy: app.get(MqttTopicsServer) }, { inheritAppConfig: true });
  await app.init();
  await app.startAllMicroservices();
  return app;
}

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };
/** JSON answers load nothing and are framed by nobody. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Answers written outside Fastify's hooks (errors before routing, or of the HTTP parser) carry these. */
const ERROR_HEADERS = { ...SECURITY_HEADERS, 'content-security-policy': API_CSP, 'cache-control': 'no-store' };
/** The API docs page (Swagger UI) loads its own scripts and styles, and images inlined as data URLs. */
const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'";

function trustNearest(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

function codeOf(status: number): string {
  return status === 414 ? 'uri_too_long' : status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_request';
}

/** Fastify's default handler, in our error shape and with a request id to quote. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const requestId = randomUUID();
  const message = status === 431 ? 'The request headers are too large' : status === 408 ? 'The request took too long to arrive' : 'The request is not valid HTTP';
  const body = JSON.stringify({ statusCode: status, error: codeOf(status), message, request_id: requestId });
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId, ...ERROR_HEADERS, connection: 'close' };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head.join('')}\r\n${body}`);
  socket.destroy(err);
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType);
}
