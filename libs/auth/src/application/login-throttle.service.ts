import { Injectable } from '@nestjs/common';
import { AppConfig } from '#config';
import { DatabaseService } from '#database';
import { LoginThrottledError } from '../domain/auth.errors.js';
import { LoginFailuresRepository, type ThrottleCounter, type ThrottleKeys } from '../infra/login-failures.repository.js';

/**
 * Limits password guessing (logins and password changes) across replicas. Each attempt is counted
 * first, under a row lock, and only then is the password verified: concurrent attempts queue on the
 * counter, so a limit of 5 lets exactly 5 through, however many arrive at once.
 *
 * What is limited, and why (a username must not be something an attacker can lock out):
 * - a username from one address: LOGIN_MAX_FAILURES_PER_USER failures, then 429 until the window ends.
 *   Failures from another address do not count, so an attacker locks out only itself;
 * - one address, whatever the usernames: LOGIN_MAX_FAILURES_PER_ADDRESS failures, then 429. This one
 *   refuses a right password too (otherwise it would not slow guessing); behind a shared NAT, set
 *   TRUST_PROXY to the proxies so each client is told apart, or raise the limit;
 * - a username across addresses (a distributed attack): past LOGIN_MAX_FAILURES_PER_USER failures,
 *   addresses that already failed for it are paced to one attempt per LOGIN_USER_BACKOFF_SECONDS for
 *   the whole username, while an address that never failed for it is not held back. Guessing is slowed
 *   to a trickle without a hard lock the real user would hit.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    private readonly db: DatabaseService,
    private readonly failures: LoginFailuresRepository,
    private readonly config: AppConfig,
  ) {}

  /** Counts an attempt before its password is checked, or throws 429 (and counts nothing). */
  async reserve(username: string, address: string): Promise<ThrottleKeys> {
    const keys = keysOf(username, address);
    const { windowSeconds } = this.config.login;
    await this.db.write((sql) => this.failures.ensure(sql, keys));
    await this.db.write(async (sql) => {
      const counters = await this.failures.lock(sql, keys, windowSeconds);
      const retryAfter = this.refusal(counters);
      if (retryAfter !== undefined) throw new LoginThrottledError(retryAfter);
      await this.failures.countAttempt(sql, keys, windowSeconds);
    });
    return keys;
  }

  /** The password was right: the attempt was not a failure after all. */
  async succeeded(keys: ThrottleKeys): Promise<void> {
    await this.db.write((sql) => this.failures.forgive(sql, keys));
  }

  /** Seconds to wait when a counter refuses the attempt; undefined when it may go ahead. */
  private refusal(counters: ThrottleCounter[]): number | undefined {
    const { maxFailuresPerUser, maxFailuresPerAddress, userBackoffSeconds } = this.config.login;
    const of = (scope: ThrottleCounter['scope']) => counters.find((c) => c.scope === scope);
    const [user, fromAddress, address] = [of('user'), of('user_address'), of('address')];
    const hard = [
      ...(address && address.failures >= maxFailuresPerAddress ? [address.resets_in] : []),
      ...(fromAddress && fromAddress.failures >= maxFailuresPerUser ? [fromAddress.resets_in] : []),
    ];
    if (hard.length > 0) return Math.max(...hard);
    const paced = user !== undefined && user.failures >= maxFailuresPerUser && (fromAddress?.failures ?? 0) > 0;
    if (paced && user.since_last_attempt !== null && user.since_last_attempt < userBackoffSeconds)
      return Math.max(1, Math.ceil(userBackoffSeconds - user.since_last_attempt));
    return undefined;
  }
}

function keysOf(username: string, address: string): ThrottleKeys {
  const user = username.toLowerCase();
  return { user, user_address: `${user} ${address}`, address };
}
