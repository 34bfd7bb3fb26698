/** An API token as stored (its hash never leaves the repository). */
export interface ApiTokenRecord {
  id: string;
  name: string;
  prefix: string;
  role: 'automation';
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}
