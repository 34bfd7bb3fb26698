import { describe, expect, it } from '@jest/globals';
import { ViewCache } from './view-cache.js';

describe('ViewCache', () => {
  it('serves a page only for the generation it was read at', () => {
    const cache = new ViewCache<string>(100);
    cache.set('senders', '7', 'page at 7', 10);
    expect(cache.get('senders', '7')).toBe('page at 7');
    expect(cache.get('senders', '8')).toBeUndefined();
    expect(cache.get('receivers', '7')).toBeUndefined();
  });

  it('drops the least recently used pages once over its byte budget, and never keeps one larger than it', () => {
    const cache = new ViewCache<string>(30);
    cache.set('a', '1', 'A', 10);
    cache.set('b', '1', 'B', 10);
    cache.set('c', '1', 'C', 10);
    expect(cache.get('a', '1')).toBe('A');
    cache.set('d', '1', 'D', 10);
    expect(cache.get('b', '1')).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => cache.get(k, '1'))).toEqual(['A', 'C', 'D']);
    cache.set('huge', '1', 'H', 31);
    expect(cache.get('huge', '1')).toBeUndefined();
    // Replacing a page counts its new size only.
    cache.set('a', '2', 'A2', 20);
    expect(cache.get('a', '2')).toBe('A2');
    expect(cache.get('d', '1')).toBe('D');
  });
});
