import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { NMOS_TYPES } from './nmos-resource.js';
import { grainItems, isSyncItem, toReported } from './grain.js';

const capture = (file: string) => JSON.parse(readFileSync(`test/fixtures/nmos-cpp/${file}`, 'utf8'));

describe('what a real registry (nmos-cpp) serves', () => {
  it('parses every resource of every type it listed', () => {
    for (const type of NMOS_TYPES) {
      const listed = capture(`query-${type}.json`) as unknown[];
      expect(listed.length).toBeGreaterThan(0);
      for (const item of listed) expect(toReported(type, item)).toMatchObject({ ok: true });
    }
  });

  it('tells its sync grains (batched 10 a message) from the changes after a take', () => {
    const messages = capture('subscription-grains.json') as unknown[];
    const items = messages.map((m) => grainItems(JSON.stringify(m)));
    expect(items[0].length).toBeLessThanOrEqual(10);
    expect(items[0].every(isSyncItem)).toBe(true);
    const last = items[items.length - 1];
    expect(last.some((i) => !isSyncItem(i))).toBe(true);
    const change = last.find((i) => !isSyncItem(i))!;
    expect(toReported('receivers', change.post)).toMatchObject({ ok: true, resource: { id: change.path } });
  });

  it('names the field of what it cannot use, and refuses non-grains', () => {
    expect(toReported('senders', { id: 'x', version: '1:2' })).toEqual({ ok: false, problem: 'senders: id is not a UUID ("x")' });
    expect(toReported('senders', { id: '61875c92-e531-5393-93d0-e1693c179ff1', version: 'yesterday' })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('version'),
    });
    expect(toReported('senders', ['not', 'an', 'object'])).toMatchObject({ ok: false });
    expect(() => grainItems('{"grain":{}}')).toThrow('grain.data');
    expect(() => grainItems('not json')).toThrow('not JSON');
  });
});
