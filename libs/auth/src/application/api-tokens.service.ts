import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { ExpiringCache } from '#common';
import { DatabaseService } from '#database';
import { ApiTokenNotFoundError, UnauthenticatedError } from '../domain/auth.errors.js';
import type { Principal } from '../domain/principal.js';
import type { ApiTokenRecord } from '../domain/api-token-record.js';
import { ApiTokensRepository } from '../infra/api-tokens.repository.js';
import { PRINCIPAL_CACHE_MS } from './principal-resolver.service.js';

/** Recognisable in logs and secret scanners; never valid as a JWT. */
export const API_TOKEN_PREFIX = 'nmc_';
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Long-lived tokens for automation, created by admins. The token is shown once; only its SHA-256 is
 * stored (it has 256 bits of entropy, so a slow hash adds nothing).
 */
@Injectable()
export class ApiTokensService {
  private readonly logger = new Logger(ApiTokensService.name);
  private readonly active = new ExpiringCache<ApiTokenRecord | null>(PRINCIPAL_CACHE_MS);
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly db: DatabaseService,
    private readonly repository: ApiTokensRepository,
  ) {}

  async create(name: string, creator: Principal): Promise<{ token: string; record: ApiTokenRecord }> {
    const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const record = await this.db.write((sql) =>
      this.repository.insert(sql, { name, hash: hashOf(token), prefix: token.slice(0, API_TOKEN_PREFIX.length + 6), createdBy: creator.id }),
    );
    return { token, record };
  }

  list(): Promise<ApiTokenRecord[]> {
    return this.db.readPrimary((sql) => this.repository.list(sql));
  }

  async revoke(id: string): Promise<void> {
    const found = await this.db.write((sql) => this.repository.revoke(sql, id));
    if (!found) throw new ApiTokenNotFoundError(id);
  }

  async authenticate(token: string): Promise<Principal> {
    const hash = hashOf(token);
    // A token created a moment ago may not be on the replica yet: confirm a miss on the primary.
    const record = await this.active.getOrLoad(
      hash.toString('hex'),
      async () =>
        (await this.db.read((sql) => this.repository.findActiveByHash(sql, hash))) ??
        (await this.db.readPrimary((sql) => this.repository.findActiveByHash(sql, hash))) ??
        null,
    );
    if (!record) throw new UnauthenticatedError('Unknown or revoked API token');
    this.touch(record.id);
    return { kind: 'api_token', id: record.id, name: record.name, role: record.role };
  }

  /** last_used_at is advisory: written at most once a minute per token, off the request path. */
  private touch(id: string): void {
    const now = performance.now();
    if (now - (this.lastTouched.get(id) ?? -Infinity) < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(id, now);
    this.db.write((sql) => this.repository.touch(sql, id)).catch((err) => this.logger.debug({ err: (err as Error).message }, 'could not record token use'));
  }
}

function hashOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
