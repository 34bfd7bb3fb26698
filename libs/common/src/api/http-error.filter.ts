import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorKind } from '../domain/domain.error.js';
import type { ErrorBody } from './error-body.js';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  locked: 423,
  precondition_failed: 412,
  rate_limited: 429,
  unsupported_media_type: 415,
  unavailable: 503,
  bad_gateway: 502,
  gateway_timeout: 504,
};

/** Fastify's own errors (raised before Nest sees the request) carry a status and an FST_ code. */
interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
}

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
};

/**
 * Turns anything thrown into the one error shape. Domain errors map by kind; Nest's HTTP exceptions keep
 * their status; Fastify's parser errors (bad JSON, body too large) keep theirs; everything else is a
 * logged 500 that reveals nothing but the request id.
 */
export function toErrorResponse(
  err: unknown,
  requestId: string | undefined,
  logger: Logger,
): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
} {
  const headers: Record<string, string> = {};
  if (err instanceof DomainError) {
    const status = STATUS_BY_KIND[err.kind];
    if (err.details.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.details.retryAfterSeconds);
    return {
      status,
      headers,
      body: { ...err.details.extra, statusCode: status, error: err.code, message: err.message, fields: err.details.fields, request_id: requestId },
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const fromResponse = typeof response === 'object' && response !== null ? (response as Partial<ErrorBody>) : {};
    return {
      status,
      headers,
      body: {
        statusCode: status,
        error: fromResponse.error && !/\s/.test(fromResponse.error) ? fromResponse.error : codeForStatus(status),
        message: typeof fromResponse.message === 'string' ? fromResponse.message : err.message,
        fields: fromResponse.fields,
        request_id: requestId,
      },
    };
  }
  const fastifyError = err as FastifyLikeError;
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    const code = (fastifyError.code && FASTIFY_CODES[fastifyError.code]) ?? (err instanceof SyntaxError ? 'invalid_json' : codeForStatus(status));
    return { status, headers, body: { statusCode: status, error: code, message: fastifyError.message, request_id: requestId } };
  }
  logger.error({ err: serializeError(err), request_id: requestId }, 'unhandled error');
  return {
    status: 500,
    headers,
    body: { statusCode: 500, error: 'internal_error', message: 'Internal server error', request_id: requestId },
  };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    // A microservice handler's failure (an MQTT topic's) has no reply to write: its transport logs it.
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, headers } = toErrorResponse(exception, request?.id, this.logger);
    void reply.status(status).headers(headers).send(body);
  }
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal_error' : 'bad_request';
  }
}

function serializeError(err: unknown): unknown {
  return err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : err;
}
