import { Logger } from '@nestjs/common';
import type { HostPort, PostgresTarget } from '#config';
import pg from 'pg';

/**
 * Which host of DATABASE_URL takes writes. pg has no multi-host URLs nor target_session_attrs, so with
 * several hosts we probe them (`pg_is_in_recovery()`) at start and again after any failure: a promoted
 * standby is found without a restart. With one host (a VIP, HAProxy or Patroni endpoint) there is
 * nothing to choose and the address itself follows the primary.
 */
export class PrimaryLocator {
  private readonly logger = new Logger(PrimaryLocator.name);
  private index = 0;
  /** Times the primary was found on another host (failovers seen by this replica). */
  moves = 0;
  private probing?: Promise<boolean>;

  constructor(
    private readonly target: PostgresTarget,
    private readonly clientConfig: pg.ClientConfig,
  ) {}

  current(): HostPort {
    return this.target.hosts[this.index];
  }

  /** Re-probes the hosts; concurrent callers share one probe. Resolves true when a suitable host was found. */
  locate(): Promise<boolean> {
    if (this.target.hosts.length === 1) return Promise.resolve(true);
    this.probing ??= this.probe().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  private async probe(): Promise<boolean> {
    const wantsWritable = this.target.targetSessionAttrs === 'read-write' || this.target.targetSessionAttrs === 'primary';
    const results = await Promise.all(this.target.hosts.map((host) => this.inspect(host)));
    const chosen = results.findIndex((r) => r === 'writable' || (!wantsWritable && r === 'standby'));
    if (chosen < 0) {
      this.logger.warn({ hosts: this.target.hosts, results }, 'no writable PostgreSQL host found');
      return false;
    }
    if (chosen !== this.index) {
      this.logger.warn({ from: this.current(), to: this.target.hosts[chosen] }, 'primary moved to another host');
      this.index = chosen;
      this.moves++;
    }
    return true;
  }

  private async inspect(host: HostPort): Promise<'writable' | 'standby' | 'down'> {
    const client = new pg.Client({ ...this.clientConfig, ...host });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const [{ standby }] = (await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')).rows;
      return standby ? 'standby' : 'writable';
    } catch {
      return 'down';
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
