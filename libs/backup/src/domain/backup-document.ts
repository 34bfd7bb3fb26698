import { createHash } from 'node:crypto';
import { z } from 'zod';

export const BACKUP_FORMAT = 'nmos-control-backup';
export const BACKUP_VERSION = 1;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** The secrets (registry tokens, API token hashes) sealed with the passphrase given at export. */
export const SealedSecrets = z.strictObject({
  cipher: z.literal('aes-256-gcm', { message: "must be 'aes-256-gcm'" }),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(1024)
      .max(1 << 20),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
  }),
  salt: base64,
  iv: base64,
  tag: base64,
  ciphertext: base64,
});
export type SealedSecrets = z.infer<typeof SealedSecrets>;

/**
 * One versioned JSON document with the whole configuration. `checksum` is SHA-256 over the canonical
 * JSON of every other member, so a document damaged or edited after export is refused (an edited one
 * must have its checksum recomputed, as the README shows).
 */
export const BackupDocument = z.strictObject({
  format: z.literal(BACKUP_FORMAT, { message: `must be '${BACKUP_FORMAT}'` }),
  version: z.literal(BACKUP_VERSION, { message: `must be ${BACKUP_VERSION} (the version this controller reads)` }),
  created_at: z.string(),
  created_by: z.string(),
  instance: z.string(),
  data: z.record(z.string(), z.array(z.unknown(), { message: 'must be a list of items' })),
  secrets: SealedSecrets.nullable(),
  checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>'),
});
export type BackupDocument = z.infer<typeof BackupDocument>;

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export function checksumOf(document: Omit<BackupDocument, 'checksum'>): string {
  const { checksum: _ignored, ...rest } = document as BackupDocument;
  return `sha256:${createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}
