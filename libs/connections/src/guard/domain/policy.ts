type Resource = Record<string, unknown>;

/** Selects resources: every field given must match. `label` and tag values are patterns with * and ?. */
export interface Matcher {
  id?: string;
  label?: string;
  /** e.g. {name: 'urn:x-nmos:tag:grouphint/v1.0', value: 'studio-a:*'}, or a site/room tag. */
  tag?: { name: string; value: string };
}

export interface RoutingPolicy {
  id: string;
  name: string;
  effect: 'allow' | 'deny';
  /** Absent: any sender (and the policy also applies to disconnects). */
  sender?: Matcher | null;
  receiver?: Matcher | null;
}

export type PolicyDecision = { allowed: true; policy?: string } | { allowed: false; policy: string; reason: string };

/**
 * Deny wins: a matching deny policy refuses. Otherwise, with default-deny, a take needs a matching allow
 * policy. A disconnect (no sender) is refused only by deny policies that name no sender.
 */
export function decide(policies: RoutingPolicy[], defaultEffect: 'allow' | 'deny', sender: Resource | null, receiver: Resource): PolicyDecision {
  const applies = (policy: RoutingPolicy) => matches(policy.receiver, receiver) && (sender === null ? !policy.sender : matches(policy.sender, sender));
  const deny = policies.find((p) => p.effect === 'deny' && applies(p));
  if (deny) return { allowed: false, policy: deny.name, reason: `policy "${deny.name}" forbids this route` };
  const allow = policies.find((p) => p.effect === 'allow' && applies(p));
  if (allow) return { allowed: true, policy: allow.name };
  if (defaultEffect === 'deny' && sender !== null)
    return { allowed: false, policy: 'default-deny', reason: 'no policy allows this route and the default is deny' };
  return { allowed: true };
}

function matches(matcher: Matcher | null | undefined, resource: Resource): boolean {
  if (!matcher) return true;
  if (matcher.id !== undefined && matcher.id !== resource.id) return false;
  if (matcher.label !== undefined && !wildcardMatch(matcher.label, String(resource.label ?? ''))) return false;
  if (matcher.tag !== undefined) {
    const values = ((resource.tags ?? {}) as Record<string, unknown>)[matcher.tag.name];
    const pattern = matcher.tag.value;
    if (!Array.isArray(values) || !values.some((v) => wildcardMatch(pattern, String(v)))) return false;
  }
  return true;
}

/**
 * `*` (any run) and `?` (one character), case-insensitive, over the whole text. A regular expression
 * built from the pattern backtracks exponentially (`**********!` blocked the event loop for seconds on
 * every take); this greedy match with one resume point never revisits more than pattern × text
 * positions, whatever the pattern.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  const p = [...pattern.toLowerCase()];
  const t = [...text.toLowerCase()];
  let pi = 0;
  let ti = 0;
  // Where the last `*` was, and the text position it is currently taken to end at.
  let star = -1;
  let starEnd = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === t[ti]))) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      starEnd = ti;
    } else if (star >= 0) {
      // Let the last `*` take one more character and try the rest of the pattern again from there.
      pi = star + 1;
      ti = ++starEnd;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
