import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environmentWithDotenv } from './read-env-file.js';

describe('environmentWithDotenv', () => {
  it('reads a .env file, and the real environment wins over it', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nmc-env-')), '.env');
    writeFileSync(path, 'PORT=9000\nLOG_LEVEL=debug\n# a comment\nJWT_SECRET="quoted value"\n');
    expect(environmentWithDotenv({ LOG_LEVEL: 'warn' }, path)).toEqual({ PORT: '9000', LOG_LEVEL: 'warn', JWT_SECRET: 'quoted value' });
  });

  it('is the environment alone when there is no file', () => {
    expect(environmentWithDotenv({ PORT: '1' }, '/nonexistent/.env')).toEqual({ PORT: '1' });
  });
});
