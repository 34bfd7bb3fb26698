/**
 * Who may read which events through `GET /api/events`: the same people who may read the routes the
 * events describe. User administration and restores are for admins (they name every user and role), the registry
 * configuration's audit for engineers; everything else (resources, receivers, registry state) for all.
 */
const RESTRICTED_TOPICS: Array<{ prefix: string; roles: readonly string[] }> = [
  { prefix: 'audit/users', roles: ['admin'] },
  { prefix: 'audit/restore', roles: ['admin'] },
  { prefix: 'audit/registry-config', roles: ['engineer', 'admin'] },
];

/** The topic prefixes a caller of this role may not read. */
export function hiddenTopicPrefixes(role: string): string[] {
  return RESTRICTED_TOPICS.filter((rule) => !rule.roles.includes(role)).map((rule) => rule.prefix);
}
