import { describe, expect, it } from '@jest/globals';
import { parsePostgresUrl } from './parse-postgres-url.js';
import { sslOptionsFor } from './postgres-target.js';

const defaults = { poolMax: 20, applicationName: 'nmos-control' };

describe('parsePostgresUrl', () => {
  it('parses libpq multi-host URLs, which Node’s URL class refuses', () => {
    const result = parsePostgresUrl('DATABASE_URL', 'postgres://u:p%40ss@h1:5432,h2:5433,[::1]/db?target_session_attrs=read-write', defaults);
    if (!result.ok) throw new Error(result.problems.join());
    expect(result.target.hosts).toEqual([
      { host: 'h1', port: 5432 },
      { host: 'h2', port: 5433 },
      { host: '::1', port: 5432 },
    ]);
    expect(result.target.password).toBe('p@ss');
    expect(result.target.targetSessionAttrs).toBe('read-write');
  });

  it('applies defaults: prefer TLS mode, 5 s connect timeout, 30 s statement timeout', () => {
    const result = parsePostgresUrl('X', 'postgresql://u@h/db', defaults);
    if (!result.ok) throw new Error(result.problems.join());
    expect(result.target).toMatchObject({
      sslmode: 'prefer',
      connectTimeoutMs: 5000,
      statementTimeoutMs: 30000,
      poolMax: 20,
      poolMin: 0,
      targetSessionAttrs: 'any',
    });
  });

  it('maps sslmode to pg TLS options as libpq means them', () => {
    const target = (mode: string) => {
      const result = parsePostgresUrl('X', `postgres://u@h/db?sslmode=${mode}`, defaults);
      if (!result.ok) throw new Error(result.problems.join());
      return sslOptionsFor(result.target, () => Buffer.from('ca'));
    };
    expect(target('disable')).toBe(false);
    expect(target('require')).toMatchObject({ rejectUnauthorized: false });
    expect(target('verify-full')).toMatchObject({ rejectUnauthorized: true });
    const verifyCa = target('verify-ca') as { rejectUnauthorized: boolean; checkServerIdentity: () => unknown };
    expect(verifyCa.rejectUnauthorized).toBe(true);
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
  });
});
