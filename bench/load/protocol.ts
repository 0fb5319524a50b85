/** What the parent (load generator) and the child (API + worker) agree on. */

/** The floor's no-op activities live on `<task queue><suffix>`, served by an activity-only worker. */
export const NOOP_QUEUE_SUFFIX = '-noop';

export type ChildMessage = { type: 'ready'; url: string } | { type: 'failed'; message: string };
