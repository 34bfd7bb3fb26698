import { describe, expect, it } from '@jest/globals';
import { collisionsAmong, type StreamLeg } from './collision-rule.js';

const stream = (name: string, leg: 'a' | 'b', group: string, port: number, source: string | null = null, sender?: string): StreamLeg => ({
  leg,
  multicast_addr: group,
  group_port: port,
  source_addr: source,
  id: sender ? null : name,
  flow_id: sender ? null : name,
  display_name: name,
  ...(sender ? { sender_id: sender } : {}),
});

describe('collisionsAmong (the report rule, for streams read from SDPs)', () => {
  it('finds same group and port on one network an error, another port a warning', () => {
    expect(collisionsAmong([stream('x', 'a', '239.1.1.1', 5004), stream('y', 'a', '239.1.1.1', 5004, null, 's1')])).toEqual([
      expect.objectContaining({ leg: 'a', multicast_addr: '239.1.1.1', severity: 'error' }),
    ]);
    expect(collisionsAmong([stream('x', 'a', '239.1.1.2', 5004), stream('y', 'a', '239.1.1.2', 5006)])[0].severity).toBe('warning');
  });

  it('keeps the two networks, different SSM sources, and one stream’s own legs apart', () => {
    expect(collisionsAmong([stream('x', 'a', '239.1.1.1', 5004), stream('y', 'b', '239.1.1.1', 5004)])).toEqual([]);
    expect(collisionsAmong([stream('x', 'a', '232.1.1.1', 5004, '10.0.0.1'), stream('y', 'a', '232.1.1.1', 5004, '10.0.0.2')])).toEqual([]);
    expect(collisionsAmong([stream('x', 'a', '232.1.1.1', 5004, '10.0.0.1'), stream('y', 'a', '232.1.1.1', 5004)])).toHaveLength(1);
    expect(collisionsAmong([stream('x', 'a', '239.1.1.1', 5004, null, 's1'), stream('x', 'a', '239.1.1.1', 5004, null, 's1')])).toEqual([]);
  });
});
