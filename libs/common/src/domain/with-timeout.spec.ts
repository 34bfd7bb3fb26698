import { describe, expect, it } from '@jest/globals';
import { withTimeout } from './with-timeout.js';

describe('withTimeout', () => {
  it('answers with the work when it comes first, and rejects naming the bound when it does not', async () => {
    expect(await withTimeout(Promise.resolve(7), 1_000)).toBe(7);
    await expect(withTimeout(new Promise(() => undefined), 20)).rejects.toThrow('no answer within 20 ms');
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });
});
