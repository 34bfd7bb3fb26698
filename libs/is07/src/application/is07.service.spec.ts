import { describe, expect, it } from '@jest/globals';
import { DatabaseUnavailableError, type DatabaseService } from '#database';
import type { EventsService } from '#events';
import type { MetricsService } from '#metrics';
import type { NmosQueryService } from '#registry';
import type { SenderStateRepository } from '../infra/sender-state.repository.js';
import type { EventSenderDirectory } from './event-sender-directory.service.js';
import { Is07Service } from './is07.service.js';

const SENDER = '9d2b7b5e-7c3a-4f0e-9a51-0d6c1f1e2a01';
const FLOW = 'b1a6c0de-1111-4222-8333-444455556666';
const SOURCE = 'a1a6c0de-1111-4222-8333-444455556666';
const STATE = {
  message_type: 'state',
  identity: { source_id: SOURCE, flow_id: FLOW },
  event_type: 'boolean',
  timing: { creation_timestamp: '1795750122:5' },
  payload: { value: true },
};

/** The message path without a database or broker: the write is a stand-in that fails or records. */
function setUp(write: () => Promise<unknown>) {
  const counted: string[] = [];
  const replayed: string[] = [];
  const directory = {
    ownerOf: (topic: string) => (topic === 'tally/a' ? { senderId: SENDER, flowId: FLOW, version: '1:0', topics: null, reason: null } : undefined),
    replayLater: (senderId: string) => void replayed.push(senderId),
  };
  const metrics = { counter: () => ({ inc: (labels: { kind: string; outcome: string }) => void counted.push(`${labels.kind} ${labels.outcome}`) }) };
  const service = new Is07Service(
    { writeThrough: write } as unknown as DatabaseService,
    { fromRows: {} } as unknown as EventsService,
    {} as NmosQueryService,
    directory as unknown as EventSenderDirectory,
    {} as SenderStateRepository,
    metrics as unknown as MetricsService,
  );
  return { service, counted, replayed };
}

describe('IS-07 messages (database and broker replaced)', () => {
  it('asks the broker again for a state it could not record, and counts it failed', async () => {
    const { service, counted, replayed } = setUp(async () => {
      throw new DatabaseUnavailableError('primary unreachable');
    });
    await service.onState('tally/a', STATE);
    expect(replayed).toEqual([SENDER]);
    expect(counted).toEqual(['state failed']);
  });

  it('writes nothing for a message of another flow, a wrong value type or an unknown topic', async () => {
    let writes = 0;
    const { service, counted, replayed } = setUp(async () => {
      writes++;
      return { written: true, changed: true };
    });
    await service.onState('tally/a', { ...STATE, identity: { source_id: SOURCE, flow_id: SOURCE } });
    await service.onState('tally/a', { ...STATE, payload: { value: 'on' } });
    await service.onState('tally/unknown', STATE);
    await service.onConnectionStatus('tally/a', { active: 'yes' });
    expect(writes).toBe(0);
    expect(replayed).toEqual([]);
    expect(counted).toEqual(['state invalid', 'state invalid', 'state unknown_topic', 'connection_status invalid']);
    await service.onState('tally/a', STATE);
    expect(writes).toBe(1);
    expect(counted.at(-1)).toBe('state recorded');
  });
});
