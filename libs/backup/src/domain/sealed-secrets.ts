import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';
import { DomainError } from '#common';
import { BACKUP_FORMAT, type SealedSecrets } from './backup-document.js';

/** Secrets by section, then by item key: `{ registries: { studio-a: "<token>" } }`. */
export type SecretsBySection = Record<string, Record<string, string>>;

export const MIN_PASSPHRASE_LENGTH = 12;
const KDF = { name: 'scrypt' as const, N: 1 << 15, r: 8, p: 1 };

/** AES-256-GCM under a key derived from the passphrase with scrypt: a wrong passphrase or an altered byte fails. */
export async function sealSecrets(secrets: SecretsBySection, passphrase: string): Promise<SealedSecrets> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await keyFor(passphrase, salt, KDF), iv);
  cipher.setAAD(Buffer.from(BACKUP_FORMAT));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  return {
    cipher: 'aes-256-gcm',
    kdf: KDF,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

export async function openSecrets(sealed: SealedSecrets, passphrase: string): Promise<SecretsBySection> {
  const key = await keyFor(passphrase, Buffer.from(sealed.salt, 'base64'), sealed.kdf);
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(BACKUP_FORMAT));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    text = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new DomainError('invalid', 'backup_secrets_unreadable', 'secrets: the passphrase is wrong or the sealed secrets were altered', {
      fields: [{ field: 'X-Backup-Passphrase', message: 'does not open the secrets (wrong passphrase, or the secrets were altered)' }],
    });
  }
  const parsed = JSON.parse(text) as unknown;
  if (!isSecrets(parsed)) throw new DomainError('invalid', 'backup_secrets_unreadable', 'secrets: not secrets by section and item');
  return parsed;
}

/** The passphrase as the X-Backup-Passphrase header gives it, refused when too short to protect tokens. */
export function checkedPassphrase(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length < MIN_PASSPHRASE_LENGTH)
    throw new DomainError('invalid', 'validation_failed', `X-Backup-Passphrase: must be at least ${MIN_PASSPHRASE_LENGTH} characters`, {
      fields: [{ field: 'X-Backup-Passphrase', message: `must be at least ${MIN_PASSPHRASE_LENGTH} characters` }],
    });
  return value;
}

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, length: number, options: ScryptOptions) => Promise<Buffer>;

/** In libuv's thread pool: scrypt's tens of milliseconds must not hold this replica's event loop (takes wait on it). */
function keyFor(passphrase: string, salt: Buffer, kdf: SealedSecrets['kdf']): Promise<Buffer> {
  return scrypt(passphrase, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });
}

function isSecrets(value: unknown): value is SecretsBySection {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  return isRecord(value) && Object.values(value).every((s) => isRecord(s) && Object.values(s).every((v) => typeof v === 'string'));
}
