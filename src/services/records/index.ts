/**
 * The record layer: kinds (kinds.ts), edits (edits.ts), plans and how they apply (writes.ts), the
 * per-record lock (lock.ts). The services of each kind (customers, conversations, messages) build on it.
 */
export * from './edits';
export * from './kinds';
export * from './lock';
export * from './writes';
