import { z } from 'zod';
import { DomainError, zodProblems, type FieldProblem } from '#common';
import { DISCOVERED_REGISTRY_NAME } from './dns-sd.js';
import { DEFAULT_TIMEOUT_MS, type RegistryEntry } from './registry-entry.js';

const httpUrl = z
  .string({ message: 'must be a string' })
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.search && !url.hash;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without query or fragment')
  // Credentials in a URL never work for a Query API and would be shown wherever the URL is: use `auth`.
  .refine((value) => {
    try {
      const url = new URL(value);
      return !url.username && !url.password;
    } catch {
      return true;
    }
  }, 'must not contain a user or password (use auth for a bearer token)')
  .refine(
    (value) => !/\/x-nmos\//.test(value) || /\/x-nmos\/query(\/v\d+\.\d+)?\/?$/.test(value),
    'must be a Query API URL (…/x-nmos/query or …/x-nmos/query/vX.Y)',
  )
  .transform((value) => value.replace(/\/+$/, ''));

export const RegistryEntryInput = z
  .object(
    {
      name: z
        .string({ message: 'must be a string' })
        .trim()
        .min(1, 'must not be empty')
        .max(100, 'must be at most 100 characters')
        .meta({ example: 'Primary Registry' }),
      query_url: httpUrl.meta({
        description: 'Query API, with or without /x-nmos/query/vX.Y',
        example: 'https://registry-primary.your-campus.local/x-nmos/query/v1.3',
      }),
      enabled: z.boolean({ message: 'must be true or false' }).default(true),
      endpoints: z
        .array(httpUrl, { message: 'must be a list of URLs' })
        .max(10, 'at most 10 more endpoints')
        .default([])
        .describe('More Query API URLs of the same logical registry, tried in order when the active one fails'),
      priority: z.number({ message: 'must be a number' }).int('must be a whole number').min(-1000).max(1000).default(0),
      timeout_ms: z.number({ message: 'must be a number' }).int('must be a whole number').min(100).max(120_000).default(DEFAULT_TIMEOUT_MS),
      auth: z
        .object(
          { type: z.literal('bearer', { message: "must be 'bearer'" }), token: z.string().min(1, 'must not be empty').max(4096).optional() },
          { message: 'must be an object' },
        )
        .strict()
        .nullable()
        .default(null)
        .describe("{type: 'bearer', token}. Answers show {type} only; sending {type} without token keeps the stored token."),
    },
    { message: 'must be an object' },
  )
  .strict();

/** An entry as submitted: an `auth` without token means "keep the token already stored for this name". */
export type SubmittedEntry = Omit<RegistryEntry, 'auth'> & { auth: { type: 'bearer'; token?: string } | null };

/**
 * Validates a whole configuration (a list of entries, as PUT takes it). Every problem is reported,
 * naming the entry (position and name) and the field.
 */
export function parseRegistryConfig(body: unknown): SubmittedEntry[] {
  if (!Array.isArray(body)) throw invalid([{ field: 'body', message: 'must be a list of registries' }]);
  const problems: FieldProblem[] = [];
  const entries: SubmittedEntry[] = [];
  body.forEach((item, index) => {
    const label = entryLabel(index, item);
    const parsed = RegistryEntryInput.safeParse(item);
    if (parsed.success) entries.push(parsed.data);
    else problems.push(...zodProblems(parsed.error.issues, [label]));
  });
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const key = entry.name.toLowerCase();
    if (key === DISCOVERED_REGISTRY_NAME)
      problems.push({
        field: `${entryLabel(index, entry)}.name`,
        message: `"${DISCOVERED_REGISTRY_NAME}" is the name of the registry found by DNS-SD: choose another`,
      });
    else if (seen.has(key)) problems.push({ field: `${entryLabel(index, entry)}.name`, message: `duplicates entry [${seen.get(key)}]: names must be unique` });
    else seen.set(key, index);
  });
  if (problems.length > 0) throw invalid(problems);
  return entries;
}

/** Validates one entry (POST, or an entry after a PATCH was applied). */
export function parseRegistryEntry(body: unknown): SubmittedEntry {
  return parseRegistryConfig([body])[0];
}

function entryLabel(index: number, item: unknown): string {
  const name = typeof item === 'object' && item !== null && typeof (item as { name?: unknown }).name === 'string' ? (item as { name: string }).name : undefined;
  return name ? `[${index}] "${name}"` : `[${index}]`;
}

function invalid(fields: FieldProblem[]): DomainError {
  return new DomainError('invalid', 'invalid_registry_config', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
}
