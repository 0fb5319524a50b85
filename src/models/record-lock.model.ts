import { Schema, model } from 'mongoose';

/**
 * A short lease on one record while an update reads, computes and writes it. FerretDB does not make
 * a filtered update atomic (two `updateOne({version: n})` calls can both match), but an insert on a
 * unique `_id` is: whoever inserts the lock document holds the record.
 */
const RecordLockSchema = new Schema(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    takenAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export const RecordLockModel = model('RecordLock', RecordLockSchema, 'record_locks');
