import { describe, expect, it } from '@jest/globals';
import { decide, wildcardMatch, type RoutingPolicy } from './policy.js';

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

  it('matches * and ? case-insensitively over the whole text', () => {
    const cases: Array<[string, string, boolean]> = [
      ['studio-a:*', 'Studio-A:video0', true],
      ['*cam?', 'studio-a/cam1', true],
      ['*cam?', 'studio-a/cam12', false],
      ['a*b*c', 'axxbyyc', true],
      ['a*b*c', 'axxbyy', false],
      ['*', '', true],
      ['?', '', false],
      ['', '', true],
      ['**a**', 'bab', true],
      ['mcr/*', 'mcr/', true],
      ['*.x', 'a.b.x', true],
      ['a*', 'b', false],
    ];
    for (const [pattern, text, expected] of cases) expect([pattern, text, wildcardMatch(pattern, text)]).toEqual([pattern, text, expected]);
  });

  it('decides a pattern made to backtrack (many stars, then a character that is not there) at once', () => {
    // As a regular expression (.*.*.*…!) this took about 6 s with 10 stars and doubles with each more;
    // with 40 stars the take would never end.
    const receiver = { id: 'r', label: 'a'.repeat(60), tags: {} };
    const deny = policy({ name: 'trap', receiver: { label: '*'.repeat(40) + '!' } });
    expect(decide([deny], 'allow', camera, receiver)).toEqual({ allowed: true });
    expect(wildcardMatch('*a'.repeat(50) + '!', 'a'.repeat(5_000))).toBe(false);
  });
});
