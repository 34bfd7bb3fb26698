/** How the controller authenticates to a registry. OAuth2 client credentials will be a second kind. */
export type RegistryAuth = { type: 'bearer'; token: string };

/** One logical registry, as configured (the HA guide's shape plus optional fields). */
export interface RegistryEntry {
  name: string;
  /** The Query API, with or without `/x-nmos/query/vX.Y` (then the newest common version is used). */
  query_url: string;
  enabled: boolean;
  /** More Query API URLs of the same logical registry, tried in order when the active one fails. */
  endpoints: string[];
  /** Higher first when registries are listed or compared. */
  priority: number;
  /** Timeout of each request to this registry. */
  timeout_ms: number;
  auth: RegistryAuth | null;
}

/** What the API shows of an entry: the bearer token itself never leaves the controller. */
export type PublicRegistryEntry = Omit<RegistryEntry, 'auth'> & { auth: { type: 'bearer' } | null };

export function publicEntry(entry: RegistryEntry): PublicRegistryEntry {
  return { ...entry, auth: entry.auth ? { type: entry.auth.type } : null };
}

export const DEFAULT_TIMEOUT_MS = 5_000;
