import { describe, expect, it } from '@jest/globals';
import type { DatabaseService, Sql } from '#database';
import type { EventsService, NewEvent } from '#events';
import type { RegistryStateRepository } from '../infra/registry-state.repository.js';
import { RegistryStatePublisher, type SavedState } from './registry-state-publisher.js';

/** A database whose next `failing` commits fail, as during an outage: what the transaction recorded is rolled back. */
class FlakyDatabase {
  failing = 0;
  readonly committed: NewEvent[] = [];
  pending: NewEvent[] = [];

  async write<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    this.pending = [];
    const result = await work({} as Sql);
    if (this.failing > 0) {
      this.failing--;
      throw new Error('database unavailable');
    }
    this.committed.push(...this.pending);
    return result;
  }
}

const state = (value: string, lastEvent = 0): SavedState => ({
  state: value as SavedState['state'],
  endpoint: null,
  api_version: null,
  synced_types: [],
  polled_types: [],
  last_event_at: lastEvent ? new Date(lastEvent) : null,
  last_error: null,
});

function publisherOver(db: FlakyDatabase): RegistryStatePublisher {
  const states = { save: async () => undefined } as unknown as RegistryStateRepository;
  const events = { record: async (_sql: Sql, event: NewEvent) => db.pending.push(event) } as unknown as EventsService;
  return new RegistryStatePublisher(db as unknown as DatabaseService, states, events);
}

const published = (db: FlakyDatabase) => db.committed.map((e) => (e.payload as { state: string }).state);

describe('RegistryStatePublisher', () => {
  it('publishes a state change once, with the commit that saves it', async () => {
    const db = new FlakyDatabase();
    const publisher = publisherOver(db);
    await publisher.save('R0', state('connected'));
    await publisher.save('R0', state('connected', 1));
    expect(published(db)).toEqual(['connected']);
  });

  it('does not lose a change whose commit failed: it is retried until it commits', async () => {
    const db = new FlakyDatabase();
    const publisher = publisherOver(db);
    await publisher.save('R0', state('connected'));
    db.failing = 1;
    await publisher.save('R0', state('down'));
    expect(published(db)).toEqual(['connected', 'down']);
  });

  it('keeps every change in order through an outage, dropping only saves that change nothing', async () => {
    const db = new FlakyDatabase();
    const publisher = publisherOver(db);
    await publisher.save('R0', state('connected'));
    db.failing = 2;
    void publisher.save('R0', state('down'));
    void publisher.save('R0', state('down', 1));
    await publisher.save('R0', state('connecting'));
    expect(published(db)).toEqual(['connected', 'down', 'connecting']);
  });

  it('stops retrying when its lease term ends, and publishes the state again in the next term', async () => {
    const db = new FlakyDatabase();
    const publisher = publisherOver(db);
    await publisher.save('R0', state('connected'));
    db.failing = 100;
    const stuck = publisher.save('R0', state('down'));
    publisher.stop();
    await stuck;
    db.failing = 0;
    publisher.reset();
    await publisher.save('R0', state('down'));
    expect(published(db)).toEqual(['connected', 'down']);
  });

  it('saves a new term’s states even while the last term’s save is still retrying', async () => {
    const db = new FlakyDatabase();
    const publisher = publisherOver(db);
    await publisher.save('R0', state('connected'));
    db.failing = 100;
    const stuck = publisher.save('R0', state('down'));
    await new Promise((r) => setTimeout(r, 50)); // its first commit has failed: it waits to retry
    publisher.stop();
    publisher.reset();
    db.failing = 0;
    await publisher.save('R0', state('connecting'));
    await stuck;
    expect(published(db)).toEqual(['connected', 'connecting']);
  });
});
