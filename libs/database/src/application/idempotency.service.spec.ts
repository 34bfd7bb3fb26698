import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { DomainError, INSTANCE_ID } from '#common';
import { DatabaseUnavailableError } from '../domain/database-unavailable.error.js';
import type { Sql } from '../domain/sql.js';
import { DatabaseService } from './database.service.js';
import { IdempotencyRepository, type KeyState } from '../infra/idempotency.repository.js';
import { IdempotencyService } from './idempotency.service.js';

interface StoredKey {
  hash: string;
  state: 'pending' | 'done';
  holder: string;
  status?: number;
  body?: unknown;
  released?: boolean;
}

/** The repository's contract, in memory: what the keep/forget rules need, without PostgreSQL. */
class MemoryKeys implements Pick<IdempotencyRepository, 'claim' | 'reclaim' | 'complete' | 'releaseForRetry'> {
  readonly keys = new Map<string, StoredKey>();

  async claim(_sql: Sql, owner: string, key: string, _route: string, hash: string, holder: string): Promise<KeyState> {
    const found = this.keys.get(`${owner}/${key}`);
    if (!found || found.released) {
      this.keys.set(`${owner}/${key}`, { hash, state: 'pending', holder });
      return { state: 'new', resumed: found?.released === true };
    }
    const sameRequest = found.hash === hash;
    return found.state === 'done'
      ? { state: 'done', sameRequest, status: found.status!, body: found.body }
      : { state: 'pending', sameRequest, holder: found.holder };
  }

  async reclaim(_sql: Sql, owner: string, key: string, holder: string): Promise<boolean> {
    const found = this.keys.get(`${owner}/${key}`);
    return found?.state === 'pending' && found.holder === holder;
  }

  async complete(_sql: Sql, owner: string, key: string, status: number, body: unknown): Promise<void> {
    Object.assign(this.keys.get(`${owner}/${key}`)!, { state: 'done', status, body });
  }

  async releaseForRetry(_sql: Sql, owner: string, key: string): Promise<void> {
    this.keys.get(`${owner}/${key}`)!.released = true;
  }
}

/** The service as Nest builds it, with the database and the repository replaced (DI-level, no PostgreSQL). */
async function idempotency(failWrites = false) {
  const keys = new MemoryKeys();
  const db = {
    write: async <T>(work: (sql: Sql) => Promise<T>) => {
      if (failWrites) throw new DatabaseUnavailableError('primary unreachable');
      return work({} as Sql);
    },
    writeThrough: async <T>(work: (sql: Sql) => Promise<T>) => work({} as Sql),
  };
  const module = await Test.createTestingModule({ providers: [IdempotencyService, { provide: DatabaseService, useValue: db }, IdempotencyRepository] })
    .overrideProvider(IdempotencyRepository)
    .useValue(keys)
    .compile();
  return { service: module.get(IdempotencyService), keys };
}

const ok = (body: unknown) => async () => ({ status: 200, body });
/** How the service fingerprints a request body. */
const hashOf = (request: unknown) => createHash('sha256').update(JSON.stringify(request)).digest('hex');

describe('Idempotency-Key: what is kept and what is forgotten', () => {
  it('acts once and replays the stored answer to a retry with the same key and body', async () => {
    const { service } = await idempotency();
    let acted = 0;
    const work = async () => ({ status: 200, body: { take: ++acted } });
    expect(await service.run('u1', 'k', 'take', { r: 1 }, work)).toEqual({ status: 200, body: { take: 1 }, replayed: false });
    expect(await service.run('u1', 'k', 'take', { r: 1 }, work)).toEqual({ status: 200, body: { take: 1 }, replayed: true });
    expect(acted).toBe(1);
  });

  it('keeps a refusal (4xx) as the answer, and refuses the key for a different body', async () => {
    const { service } = await idempotency();
    const refuse = async () => {
      throw new DomainError('locked', 'receiver_locked', 'locked by someone');
    };
    await expect(service.run('u1', 'k', 'take', { r: 1 }, refuse)).rejects.toMatchObject({ code: 'receiver_locked' });
    const replay = await service.run('u1', 'k', 'take', { r: 1 }, ok('never'));
    expect(replay).toMatchObject({ status: 423, replayed: true, body: { error: 'receiver_locked' } });
    await expect(service.run('u1', 'k', 'take', { r: 2 }, ok('never'))).rejects.toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('forgets device failures (5xx) and transient refusals (Retry-After): the retry acts again, told it is resumed', async () => {
    const { service } = await idempotency();
    const attempts: boolean[] = [];
    await expect(
      service.run('u1', 'k', 'take', {}, async ({ resumed }) => {
        attempts.push(resumed);
        throw new DomainError('bad_gateway', 'device_rejected', 'the device said no');
      }),
    ).rejects.toMatchObject({ code: 'device_rejected' });
    await expect(
      service.run('u1', 'k', 'take', {}, async ({ resumed }) => {
        attempts.push(resumed);
        throw new DomainError('conflict', 'receiver_busy', 'busy', { retryAfterSeconds: 1 });
      }),
    ).rejects.toMatchObject({ code: 'receiver_busy' });
    expect(await service.run('u1', 'k', 'take', {}, async ({ resumed }) => (attempts.push(resumed), { status: 200, body: 'done' }))).toMatchObject({
      status: 200,
      replayed: false,
    });
    expect(attempts).toEqual([false, true, true]);
  });

  it('answers 409 with Retry-After while the first request with the key is still running, on this replica or another', async () => {
    const { service, keys } = await idempotency();
    let finish!: () => void;
    const first = service.run<string>('u1', 'k', 'take', {}, () => new Promise((done) => (finish = () => done({ status: 200, body: 'first' }))));
    await new Promise((r) => setImmediate(r));
    await expect(service.run('u1', 'k', 'take', {}, ok('second'))).rejects.toMatchObject({
      code: 'idempotency_in_progress',
      details: { retryAfterSeconds: 1 },
    });
    finish();
    await first;
    keys.keys.set('u1/other', { hash: hashOf({}), state: 'pending', holder: 'another-replica' });
    await expect(service.run('u1', 'other', 'take', {}, ok('x'))).rejects.toMatchObject({ code: 'idempotency_in_progress' });
  });

  it('resumes a key this replica left pending (its answer lost to a failover), and acts without a key at all', async () => {
    const { service, keys } = await idempotency();
    keys.keys.set('u1/k', { hash: hashOf({}), state: 'pending', holder: INSTANCE_ID });
    let resumedSeen: boolean | undefined;
    await service.run('u1', 'k', 'take', {}, async ({ resumed }) => ((resumedSeen = resumed), { status: 200, body: 'ok' }));
    expect(resumedSeen).toBe(true);
    expect(await service.run('u1', undefined, 'take', {}, ok('no key'))).toEqual({ status: 200, body: 'no key', replayed: false });
    await expect(service.run('u1', 'bad key with spaces', 'take', {}, ok('x'))).rejects.toMatchObject({ code: 'invalid_idempotency_key' });
  });

  it('lets a database outage through as 503 without acting', async () => {
    const { service } = await idempotency(true);
    let acted = false;
    await expect(service.run<string>('u1', 'k', 'take', {}, async () => ((acted = true), { status: 200, body: 'x' }))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    expect(acted).toBe(false);
  });
});
