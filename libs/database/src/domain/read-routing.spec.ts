import { describe, expect, it } from '@jest/globals';
import { chooseReplica } from './read-routing.js';

describe('chooseReplica', () => {
  const up = (name: string, lagSeconds: number) => ({ name, up: true, lagSeconds });

  it('uses the primary when there is no replica', () => {
    expect(chooseReplica([], 5, 0)).toBeUndefined();
  });

  it('skips replicas that are down, unmeasured, or lag beyond the bound', () => {
    const replicas = [{ name: 'down', up: false, lagSeconds: 0 }, { name: 'new', up: true }, up('slow', 5.5), up('ok', 5)];
    expect(chooseReplica(replicas, 5, 0)).toBe(3);
    expect(chooseReplica(replicas, 5, 1)).toBe(3);
    expect(chooseReplica([up('slow', 9)], 5, 0)).toBeUndefined();
  });

  it('spreads reads over the healthy replicas in turn', () => {
    const replicas = [up('a', 0), up('b', 1), up('c', 0.2)];
    expect([0, 1, 2, 3].map((turn) => chooseReplica(replicas, 5, turn))).toEqual([0, 1, 2, 0]);
  });
});
