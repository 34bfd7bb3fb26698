/** Roles a person can have, lowest first. */
export const USER_ROLES = ['viewer', 'operator', 'engineer', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** API tokens act as `automation`: they read and route like an operator, and administer nothing. */
export type Role = UserRole | 'automation';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, automation: 1, engineer: 2, admin: 3 };

export function hasAtLeast(role: Role, minimum: UserRole): boolean {
  return RANK[role] >= RANK[minimum];
}
