import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError } from '../../models/ids';
import { RecordLockModel } from '../../models/record-lock.model';

/** A holder that died (crash, kill) loses its lease after this; updates take milliseconds. */
const STALE_AFTER_MS = 30_000;
const GIVE_UP_AFTER_MS = 20_000;

export class RecordBusyError extends Error {
  constructor(key: string) {
    super(`record ${key} stayed locked for ${GIVE_UP_AFTER_MS} ms`);
  }
}

/**
 * Runs `fn` while holding the lease on `key`. Waiters back off with jitter; a lease older than
 * STALE_AFTER_MS is taken over. Giving up throws a plain (retryable) error: an activity retries
 * it, the API answers 503 with Retry-After and the client may retry.
 */
export async function withRecordLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const owner = randomBytes(8).toString('hex');
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await RecordLockModel.create({ _id: key, owner, takenAt: new Date() });
      break;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const held = await RecordLockModel.findById(key).lean();
    if (held && Date.now() - held.takenAt.getTime() > STALE_AFTER_MS) {
      await RecordLockModel.deleteOne({ _id: key, owner: held.owner });
      continue;
    }
    if (Date.now() - started > GIVE_UP_AFTER_MS) throw new RecordBusyError(key);
    await sleep(Math.min(5 * 2 ** Math.min(attempt, 5), 100) * (0.5 + Math.random()));
  }
  try {
    return await fn();
  } finally {
    await RecordLockModel.deleteOne({ _id: key, owner });
  }
}
