import { describe, expect, it } from '@jest/globals';
import { pageOf } from './paging.js';

const entries = [10n, 20n, 30n, 40n, 50n].map((at) => ({ item: Number(at), at }));

describe('pageOf', () => {
  it('returns the newest entries first, and bounds that chain to the previous page', () => {
    const latest = pageOf(entries, { limit: 2 }, 100n);
    expect(latest).toEqual({ items: [50, 40], since: 30n, until: 100n });
    const previous = pageOf(entries, { until: latest.since, limit: 2 }, 100n);
    expect(previous).toEqual({ items: [30, 20], since: 10n, until: 30n });
    expect(pageOf(entries, { until: previous.since, limit: 2 }, 100n)).toEqual({ items: [10], since: 0n, until: 10n });
  });

  it('walks forward from since without skipping or repeating', () => {
    const seen: number[] = [];
    let since = 0n;
    for (let i = 0; i < 5; i++) {
      const page = pageOf(entries, { since, limit: 2 }, 100n);
      seen.push(...page.items);
      if (page.items.length === 0) break;
      since = page.until;
    }
    expect(seen.sort()).toEqual([10, 20, 30, 40, 50]);
  });
});
