import type { Client } from '@temporalio/client';
import { Router } from 'express';
import mongoose from 'mongoose';
import { temporal } from '@temporalio/proto';

const TIMEOUT_MS = 3000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref(),
    ),
  ]);
}

async function check(fn: () => Promise<void>): Promise<string> {
  try {
    await withTimeout(fn());
    return 'ok';
  } catch (error) {
    return `down: ${(error as Error).message}`;
  }
}

/** 200 only when MongoDB answers, Temporal answers and a worker polls our task queue; else 503 naming what is down. */
export function healthRouter(client: Client, namespace: string, taskQueue: string): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const [mongodb, temporalServer, worker] = await Promise.all([
      check(async () => {
        const db = mongoose.connection.db;
        if (!db) throw new Error('not connected');
        await db.admin().ping();
      }),
      check(async () => {
        await client.workflowService.getSystemInfo({});
      }),
      check(async () => {
        const response = await client.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        if ((response.pollers ?? []).length === 0) throw new Error(`no worker polls task queue "${taskQueue}"`);
      }),
    ]);
    const checks = { mongodb, temporal: temporalServer, worker };
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json(ok ? { status: 'ok' } : { status: 'unavailable', checks });
  });
  return router;
}
