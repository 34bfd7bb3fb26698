import { STATUS_CODES } from 'node:http';
import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, toErrorResponse } from '#common';

/**
 * NMOS tools expect IS-04's error body `{code, error, debug}` from a Query API. The status (and
 * Retry-After) come from the same table as every other route's (`toErrorResponse`); only the body's
 * shape differs.
 */
@Catch()
export class NmosErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(NmosErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, headers, body } = toErrorResponse(exception, request?.id, this.logger);
    const code = exception instanceof DomainError && exception.code === 'not_implemented' ? 501 : status;
    void reply
      .status(code)
      .headers(headers)
      .send({ code, error: STATUS_CODES[code] ?? 'Error', debug: body.message ?? null });
  }
}
