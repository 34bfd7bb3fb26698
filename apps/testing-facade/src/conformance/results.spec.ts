import { describe, expect, it } from '@jest/globals';
import { verdict } from './results.js';

describe("reading the tool's JSON results", () => {
  it('passes only when every scored test passed; disabled and not-applicable tests are not scored', () => {
    const ok = verdict('IS-04-04', {
      results: [
        { name: '__init__', state: 'Not Applicable', detail: '' },
        { name: 'test_01', state: 'Test Disabled', detail: 'DNS-SD off' },
        { name: 'test_02', state: 'Pass', detail: '' },
      ],
    });
    expect(ok).toMatchObject({ passed: 1, scored: 1, ok: true });
  });

  it('fails on Could Not Test, Warning or Fail (the tool exits 0 for the first), and when there are no results', () => {
    for (const state of ['Could Not Test', 'Warning', 'Fail'])
      expect(verdict('IS-05-03', { results: [{ name: 'test_01', state, detail: '' }] }).ok).toBe(false);
    expect(verdict('IS-05-03', undefined).ok).toBe(false);
    expect(verdict('IS-05-03', { results: [] }).ok).toBe(false);
  });
});
