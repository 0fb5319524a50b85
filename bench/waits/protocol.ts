/** What the waiting-runs benchmark and its worker process agree on. */

export interface WorkerMemory {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  heapLimitMb: number;
  /** Runs held in the worker's workflow cache (the SDK's status). */
  cachedRuns: number;
  activationsInFlight: number;
  /** The cache's size as the SDK resolved it (WORKER_MAX_CACHED_WORKFLOWS, or its default). */
  maxCachedWorkflows: number;
}

export type WorkerMessage =
  { type: 'ready' } | { type: 'failed'; message: string } | { type: 'memory'; memory: WorkerMemory };
