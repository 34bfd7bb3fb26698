import { randomBytes } from 'node:crypto';

export type Role = 'viewer' | 'operator' | 'engineer' | 'admin';

export function newUser(role: Role = 'viewer', prefix = 'user'): { username: string; password: string; role: Role } {
  return { username: `${prefix}-${randomBytes(4).toString('hex')}`, password: `pw-${randomBytes(8).toString('hex')}`, role };
}
