import type { UserRole } from './role.js';

/** A user as stored, without its password hash: what services hand the API. */
export interface UserRecord {
  id: string;
  username: string;
  role: UserRole;
  token_version: number;
  created_at: Date;
  updated_at: Date;
}
