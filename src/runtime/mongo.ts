import mongoose from 'mongoose';

/**
 * One mongoose connection per process. No transactions or change streams are used, so the same code
 * runs on MongoDB and on FerretDB (which has neither); every write is a single-document operation.
 */
export async function connectMongo(uri: string, dbName?: string): Promise<typeof mongoose> {
  mongoose.set('strictQuery', true);
  // A request waits at most 10 s for a pooled connection (then 503, see isTransient in api/http.ts).
  await mongoose.connect(uri, {
    dbName,
    serverSelectionTimeoutMS: 10_000,
    maxPoolSize: 50,
    waitQueueTimeoutMS: 10_000,
    autoIndex: true,
  });
  await mongoose.connection.syncIndexes();
  return mongoose;
}

export async function disconnectMongo(): Promise<void> {
  await mongoose.disconnect();
}
