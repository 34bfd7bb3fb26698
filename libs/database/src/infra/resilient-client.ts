import pg from 'pg';

/**
 * A pg client that never crashes the process. pg-pool listens for errors only while a client is idle;
 * a connection that dies while checked out but between queries (the primary killed between BEGIN and the
 * next statement) would emit an unhandled 'error'. Here that is swallowed: the client is then no longer
 * queryable, the next query fails, and the caller's error path releases and discards it.
 */
export class ResilientClient extends pg.Client {
  constructor(config?: pg.ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}
