import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/api/http';
import { createLogger } from '../../src/logger';
import { RecordBusyError } from '../../src/services/records';

/**
 * Contention and unavailability are answered 503 with `Retry-After`, never 500: a record lock held too
 * long, the driver finding no server or no free pooled connection, a busy FerretDB backend, Temporal
 * unavailable. A real bug is still a 500.
 */
function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name }, extra);
}

const FAULTS: [string, () => unknown, number][] = [
  ['a record lock held past the wait', () => new RecordBusyError('conversation:c1'), 503],
  ['no server selected', () => named('MongoServerSelectionError', 'Server selection timed out after 10000 ms'), 503],
  [
    'no pooled connection in time',
    () => named('MongoWaitQueueTimeoutError', 'Timed out while checking out a connection'),
    503,
  ],
  ['SQLite busy behind FerretDB', () => named('MongoServerError', 'database is locked (5) (SQLITE_BUSY)'), 503],
  ['PostgreSQL out of connections', () => named('MongoServerError', 'FATAL: sorry, too many clients already'), 503],
  ['Temporal unavailable', () => named('ServiceError', 'Failed to start Workflow', { cause: { code: 14 } }), 503],
  // What a write on a connection the database had just closed threw, unwrapped by the driver (fault suite,
  // scenario 3): it was a 500.
  [
    'the database closed the connection mid-write',
    () => named('Error', 'This socket has been ended by the other party', { code: 'EPIPE' }),
    503,
  ],
  ['a connection reset', () => named('Error', 'read ECONNRESET', { code: 'ECONNRESET' }), 503],
  ['a bug', () => new TypeError("Cannot read properties of undefined (reading 'id')"), 500],
];

let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const app = express();
  app.get('/fault/:i', (req) => {
    throw FAULTS[Number(req.params.i)]![1]();
  });
  app.use(errorHandler(createLogger('silent', 'test')));
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

describe('busy and unavailable answers', () => {
  it.each(FAULTS.map((fault, i) => [fault[0], i, fault[2]] as const))('%s -> %i', async (_name, i, status) => {
    const res = await fetch(`${url}/fault/${i}`);
    const body = (await res.json()) as { error: { code: string } };
    expect(res.status).toBe(status);
    if (status === 503) {
      expect(res.headers.get('retry-after')).toBe('1');
      expect(body.error.code).toBe('unavailable');
    } else {
      expect(res.headers.get('retry-after')).toBeNull();
      expect(body.error.code).toBe('internal');
    }
  });
});
