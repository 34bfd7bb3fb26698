import { describe, expect, it } from '@jest/globals';
import { DomainError } from '#common';
import { parseRegistryConfig } from './parse-registry-config.js';

function fieldsOf(body: unknown): Array<{ field: string; message: string }> {
  try {
    parseRegistryConfig(body);
  } catch (err) {
    if (err instanceof DomainError) return err.details.fields ?? [];
    throw err;
  }
  return [];
}

describe('parseRegistryConfig', () => {
  it('accepts the HA guide’s example as written and fills the defaults', () => {
    const entries = parseRegistryConfig([
      { name: 'Primary Registry', query_url: 'https://registry-primary.your-campus.local/x-nmos/query/v1.3', enabled: true },
      { name: 'Secondary Registry', query_url: 'https://registry-secondary.your-campus.local/x-nmos/query/v1.3', enabled: true },
    ]);
    expect(entries[0]).toEqual({
      name: 'Primary Registry',
      query_url: 'https://registry-primary.your-campus.local/x-nmos/query/v1.3',
      enabled: true,
      endpoints: [],
      priority: 0,
      timeout_ms: 5000,
      auth: null,
    });
  });

  it('accepts a Query API URL with or without its version, and the optional fields', () => {
    const [entry] = parseRegistryConfig([
      {
        name: 'LB',
        query_url: 'http://10.1.1.1:8010/x-nmos/query/',
        enabled: false,
        endpoints: ['http://10.1.1.2:8010', 'https://r3.local/x-nmos/query/v1.2'],
        priority: 10,
        timeout_ms: 2000,
        auth: { type: 'bearer', token: 't' },
      },
    ]);
    expect(entry).toMatchObject({
      query_url: 'http://10.1.1.1:8010/x-nmos/query',
      endpoints: ['http://10.1.1.2:8010', 'https://r3.local/x-nmos/query/v1.2'],
      auth: { type: 'bearer', token: 't' },
    });
  });

  it('names the entry and the field of every problem', () => {
    const fields = fieldsOf([
      { name: 'A', query_url: 'ftp://registry/x-nmos/query/v1.3', enabled: true },
      { name: 'B', query_url: 'http://registry/x-nmos/node/v1.3', enabled: 'yes' },
      { name: 'a', query_url: 'http://ok', enabled: true, colour: 'red' },
      { query_url: 'http://ok', enabled: true, endpoints: ['not a url'], timeout_ms: 5, auth: { type: 'basic' } },
      'not an object',
    ]);
    expect(fields.map((f) => f.field)).toEqual(
      expect.arrayContaining([
        '[0] "A".query_url',
        '[1] "B".query_url',
        '[1] "B".enabled',
        '[2] "a".colour',
        '[3].name',
        '[3].endpoints.0',
        '[3].timeout_ms',
        '[3].auth.type',
        '[4]',
      ]),
    );
    expect(fields.find((f) => f.field === '[2] "a".colour')?.message).toBe('unknown field');
  });

  it('refuses duplicate names, whatever their case, and a body that is not a list', () => {
    expect(
      fieldsOf([
        { name: 'Main', query_url: 'http://a' },
        { name: 'main', query_url: 'http://b' },
      ]),
    ).toEqual([{ field: '[1] "main".name', message: 'duplicates entry [0]: names must be unique' }]);
    expect(fieldsOf({ name: 'Main' })).toEqual([{ field: 'body', message: 'must be a list of registries' }]);
  });
});
