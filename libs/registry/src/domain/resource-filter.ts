/**
 * IS-04 basic queries as PostgreSQL jsonpath: `subscription.active=true`, `caps.media_types=video/raw`,
 * `tags.urn:x-nmos:tag:grouphint/v1.0=cam1`. Lax mode looks into arrays as IS-04 asks. A segment
 * starting with `urn:` takes the rest of the path (tag names contain dots).
 */
export function basicQueryPath(path: string): string {
  const segments: string[] = [];
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].startsWith('urn:')) {
      segments.push(parts.slice(i).join('.'));
      break;
    }
    segments.push(parts[i]);
  }
  return `lax $${segments.map((s) => `."${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('')}`;
}

/** The value as a query string gives it may be meant as text, number, boolean or null: match any. */
export function basicQueryVariables(value: string): { predicate: string; vars: Record<string, unknown> } {
  const vars: Record<string, unknown> = { s: value };
  const alternatives = ['@ == $s'];
  if (value !== '' && Number.isFinite(Number(value))) {
    vars.n = Number(value);
    alternatives.push('@ == $n');
  }
  if (value === 'true' || value === 'false') {
    vars.b = value === 'true';
    alternatives.push('@ == $b');
  }
  if (value === 'null') alternatives.push('@ == null');
  return { predicate: alternatives.join(' || '), vars };
}
