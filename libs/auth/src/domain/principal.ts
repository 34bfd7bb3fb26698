import type { Role } from './role.js';

/** Who is making a request: a person (JWT) or an automation client (API token). */
export interface Principal {
  kind: 'user' | 'api_token';
  id: string;
  /** The username, or the API token's name. */
  name: string;
  role: Role;
}
