import { describe, expect, it } from '@jest/globals';
import { decide, type RoutingPolicy } from './policy.js';

const GROUP = 'urn:x-nmos:tag:grouphint/v1.0';
const camera = { id: 's1', label: 'studio-a/cam1', tags: { [GROUP]: ['studio-a:video0'] } };
const monitor = { id: 'r1', label: 'mcr/monitor3', tags: { 'urn:x-vendor:room': ['MCR'] } };

describe('routing policies', () => {
  const policy = (p: Partial<RoutingPolicy>): RoutingPolicy => ({ id: p.name ?? 'p', name: 'p', effect: 'deny', ...p });

  it('lets a matching deny win over an allow, and names it', () => {
    const policies = [
      policy({ name: 'allow-all-mcr', effect: 'allow', receiver: { label: 'mcr/*' } }),
      policy({
        name: 'no-studio-a-to-mcr',
        sender: { tag: { name: GROUP, value: 'studio-a:*' } },
        receiver: { tag: { name: 'urn:x-vendor:room', value: 'mcr' } },
      }),
    ];
    expect(decide(policies, 'allow', camera, monitor)).toEqual({
      allowed: false,
      policy: 'no-studio-a-to-mcr',
      reason: 'policy "no-studio-a-to-mcr" forbids this route',
    });
    expect(decide(policies, 'allow', { ...camera, tags: {} }, monitor)).toEqual({ allowed: true, policy: 'allow-all-mcr' });
  });

  it('with default deny, needs an allow; disconnects are only refused by deny policies naming no sender', () => {
    expect(decide([], 'deny', camera, monitor)).toMatchObject({ allowed: false, policy: 'default-deny' });
    expect(decide([policy({ name: 'a', effect: 'allow', sender: { id: 's1' } })], 'deny', camera, monitor)).toEqual({ allowed: true, policy: 'a' });
    expect(decide([], 'deny', null, monitor)).toEqual({ allowed: true });
    expect(decide([policy({ name: 'pair', sender: { id: 's1' }, receiver: { id: 'r1' } })], 'allow', null, monitor)).toEqual({ allowed: true });
    expect(decide([policy({ name: 'protected', receiver: { id: 'r1' } })], 'allow', null, monitor)).toMatchObject({ allowed: false, policy: 'protected' });
  });

  it('matches label patterns with * and ? only (no regular expressions)', () => {
    expect(decide([policy({ name: 'x', receiver: { label: 'mcr/monitor?' } })], 'allow', camera, monitor).allowed).toBe(false);
    expect(decide([policy({ name: 'x', receiver: { label: 'mcr/.*' } })], 'allow', camera, monitor).allowed).toBe(true);
  });
});
