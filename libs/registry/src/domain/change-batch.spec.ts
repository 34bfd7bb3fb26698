import { describe, expect, it } from '@jest/globals';
import { ChangeBatch } from './change-batch.js';
import type { ReportedResource, ResourceKey } from './nmos-resource.js';

const sender = (id: string, version: string) => ({ type: 'senders', id, version, data: { id, version } }) as unknown as ReportedResource;

describe('ChangeBatch', () => {
  it('applies the last word per resource once, and nothing when empty', async () => {
    const applied: Array<[ReportedResource[], ResourceKey[]]> = [];
    const hooks = { apply: async (reported: ReportedResource[], removed: ResourceKey[]) => void applied.push([reported, removed]) };
    const batch = new ChangeBatch('senders');
    batch.report(sender('a', '1:0'));
    batch.report(sender('a', '2:0'));
    batch.report(sender('b', '1:0'));
    batch.remove('b');
    batch.remove('c');
    batch.report(sender('c', '3:0'));
    await batch.applyTo(hooks);
    await batch.applyTo(hooks);
    expect(applied).toHaveLength(1);
    const [reported, removed] = applied[0];
    expect(reported.map((r) => [r.id, r.version])).toEqual([
      ['a', '2:0'],
      ['c', '3:0'],
    ]);
    expect(removed).toEqual([{ type: 'senders', id: 'b' }]);
  });
});
