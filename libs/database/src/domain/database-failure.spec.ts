import { describe, expect, it } from '@jest/globals';
import { classifyDatabaseFailure } from './database-failure.js';

describe('classifyDatabaseFailure', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, 'connection'],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, 'connection'],
    [{ code: '57P03', message: 'the database system is starting up' }, 'connection'],
    [{ code: '08006' }, 'connection'],
    [new Error('Connection terminated unexpectedly'), 'connection'],
    [new Error('timeout exceeded when trying to connect'), 'connection'],
    [new Error('Query read timeout'), 'connection'],
    [Object.assign(new AggregateError([{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }]), {}), 'connection'],
    [{ code: '25006', message: 'cannot execute INSERT in a read-only transaction' }, 'read_only'],
    [{ driverError: { code: '25006' } }, 'read_only'],
    [{ code: '23505', message: 'duplicate key value' }, 'other'],
    [{ code: '42P01', message: 'relation does not exist' }, 'other'],
    [undefined, 'other'],
  ])('%p is %s', (err, expected) => {
    expect(classifyDatabaseFailure(err)).toBe(expected);
  });
});
