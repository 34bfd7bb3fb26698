import { describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { sleep, untilAborted } from './sleep.js';

describe('sleep', () => {
  it('leaves no abort listener behind, however often a loop calls it', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('ends early when the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
    await expect(sleep(60_000, controller.signal)).resolves.toBeUndefined();
  });
});

describe('untilAborted', () => {
  it('waits for the abort, and not at all once aborted', async () => {
    const controller = new AbortController();
    let done = false;
    const waiting = untilAborted(controller.signal).then(() => (done = true));
    await sleep(20);
    expect(done).toBe(false);
    controller.abort();
    await waiting;
    expect(done).toBe(true);
    await expect(untilAborted(controller.signal)).resolves.toBeUndefined();
  });
});
