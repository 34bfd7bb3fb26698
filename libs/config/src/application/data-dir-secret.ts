import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A secret generated on first start and kept in DATA_DIR (mode 0600), so an embedded installation keeps
 * its database password and JWT secret across restarts without anyone having to set them.
 */
export function dataDirSecret(dataDir: string, fileName: string): string {
  const path = join(dataDir, fileName);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process sharing DATA_DIR wrote it first: theirs is the secret.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // It may be created but not yet written: wait for its content (a few milliseconds at most).
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const theirs = readFileSync(path, 'utf8').trim();
      if (theirs) return theirs;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
    throw new Error(`${path} is empty: remove it and start again`);
  }
  return secret;
}
