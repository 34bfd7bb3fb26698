import { describe, expect, it } from '@jest/globals';
import { basicQueryPath, basicQueryVariables } from './resource-filter.js';

describe('basic queries as jsonpath', () => {
  it('quotes every key and keeps tag URNs whole', () => {
    expect(basicQueryPath('label')).toBe('lax $."label"');
    expect(basicQueryPath('subscription.active')).toBe('lax $."subscription"."active"');
    expect(basicQueryPath('tags.urn:x-nmos:tag:grouphint/v1.0')).toBe('lax $."tags"."urn:x-nmos:tag:grouphint/v1.0"');
    expect(basicQueryPath('we"ird')).toBe('lax $."we\\"ird"');
  });

  it('matches a value as text, number, boolean or null', () => {
    expect(basicQueryVariables('video/raw')).toEqual({ predicate: '@ == $s', vars: { s: 'video/raw' } });
    expect(basicQueryVariables('1920')).toEqual({ predicate: '@ == $s || @ == $n', vars: { s: '1920', n: 1920 } });
    expect(basicQueryVariables('true')).toEqual({ predicate: '@ == $s || @ == $b', vars: { s: 'true', b: true } });
    expect(basicQueryVariables('null').predicate).toBe('@ == $s || @ == null');
  });
});
