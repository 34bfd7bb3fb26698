import { describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import { DomainError, type ErrorKind } from '#common';
import { NmosErrorFilter } from './nmos-error.filter.js';

/** What the IS-04 façade answers for each kind of domain error: the same statuses as every other route. */
function answerTo(exception: unknown): { status: number; headers: Record<string, string>; body: any } {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as any };
  const reply = {
    status: (s: number) => ((sent.status = s), reply),
    headers: (h: Record<string, string>) => ((sent.headers = h), reply),
    send: (b: unknown) => ((sent.body = b), reply),
  };
  const host = { switchToHttp: () => ({ getRequest: () => ({ id: 'req-1' }), getResponse: () => reply }) } as unknown as ArgumentsHost;
  new NmosErrorFilter().catch(exception, host);
  return sent;
}

describe('NmosErrorFilter', () => {
  it.each([
    ['invalid', 400, 'Bad Request'],
    ['not_found', 404, 'Not Found'],
    ['conflict', 409, 'Conflict'],
    ['locked', 423, 'Locked'],
    ['bad_gateway', 502, 'Bad Gateway'],
    ['gateway_timeout', 504, 'Gateway Timeout'],
    ['unavailable', 503, 'Service Unavailable'],
  ] as Array<[ErrorKind, number, string]>)('answers %s as %i in IS-04’s error shape', (kind, status, text) => {
    const answer = answerTo(new DomainError(kind, 'some_code', 'what happened'));
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ code: status, error: text, debug: 'what happened' });
  });

  it('keeps Retry-After on a 503, and says 501 for what the façade does not implement', () => {
    expect(answerTo(new DomainError('unavailable', 'database_unavailable', 'failing over', { retryAfterSeconds: 2 })).headers).toEqual({ 'retry-after': '2' });
    expect(answerTo(new DomainError('not_found', 'not_implemented', 'no subscriptions here')).status).toBe(501);
  });

  it('shows nothing of an unknown error but a 500', () => {
    const answer = answerTo(new Error('secret connection string postgres://u:pw@db'));
    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.body)).not.toContain('pw@db');
  });
});
