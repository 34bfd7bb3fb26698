import { describe, expect, it } from '@jest/globals';
import { ForbiddenException, Logger, NotFoundException } from '@nestjs/common';
import { DomainError } from '../domain/domain.error.js';
import { toErrorResponse } from './http-error.filter.js';

const logger = new Logger('test');
logger.error = () => undefined;

describe('toErrorResponse', () => {
  it('maps domain errors by kind, with fields and Retry-After', () => {
    const unavailable = toErrorResponse(new DomainError('unavailable', 'database_unavailable', 'retry', { retryAfterSeconds: 2 }), 'r1', logger);
    expect(unavailable).toEqual({
      status: 503,
      headers: { 'retry-after': '2' },
      body: { statusCode: 503, error: 'database_unavailable', message: 'retry', fields: undefined, request_id: 'r1' },
    });
    const invalid = toErrorResponse(new DomainError('invalid', 'validation_failed', 'bad', { fields: [{ field: 'role', message: 'unknown' }] }), 'r2', logger);
    expect(invalid.status).toBe(400);
    expect(invalid.body.fields).toEqual([{ field: 'role', message: 'unknown' }]);
    expect(toErrorResponse(new DomainError('locked', 'x', 'x'), undefined, logger).status).toBe(423);
    expect(toErrorResponse(new DomainError('rate_limited', 'x', 'x'), undefined, logger).status).toBe(429);
  });

  it('keeps the status of Nest and Fastify errors', () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /x'), 'r', logger).body).toMatchObject({
      statusCode: 404,
      error: 'not_found',
      message: 'Cannot GET /x',
    });
    expect(toErrorResponse(new ForbiddenException(), 'r', logger).status).toBe(403);
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(toErrorResponse(tooLarge, 'r', logger).body).toMatchObject({ statusCode: 413, error: 'payload_too_large' });
  });

  it('hides the details of unexpected errors behind a 500 with the request id', () => {
    const answer = toErrorResponse(new Error('password=hunter2 in a stack'), 'r9', logger);
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ statusCode: 500, error: 'internal_error', message: 'Internal server error', request_id: 'r9' });
  });
});
