import { describe, expect, it } from '@jest/globals';
import { ExpiringCache } from './expiring-cache.js';

describe('ExpiringCache', () => {
  it('serves a value until it expires, then loads again', async () => {
    const cache = new ExpiringCache<number>(30);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.getOrLoad('k', load)).toBe(1);
    expect(await cache.getOrLoad('k', load)).toBe(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(await cache.getOrLoad('k', load)).toBe(2);
  });

  it('shares one load between concurrent misses', async () => {
    const cache = new ExpiringCache<number>(1000);
    let loads = 0;
    const load = () => new Promise<number>((r) => setTimeout(() => r(++loads), 10));
    expect(await Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load), cache.getOrLoad('k', load)])).toEqual([1, 1, 1]);
  });

  it('forgets a key on delete and does not cache failures', async () => {
    const cache = new ExpiringCache<number>(1000);
    await expect(cache.getOrLoad('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.getOrLoad('k', async () => 7)).toBe(7);
    cache.delete('k');
    expect(await cache.getOrLoad('k', async () => 8)).toBe(8);
  });
});
