/* global require, module, __filename */
// The thread entry of the trigger-evaluation pool (trigger-pool.ts). Plain CommonJS so that it loads in
// any thread: under tsx (npm run dev, api, worker; the image) and under vitest, whose module runner does
// not reach worker threads. tsx's scoped require compiles the TypeScript modules it loads.
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS by design (see above)
const { require: tsxRequire } = require('tsx/cjs/api');
const { evaluateTrigger, warmUp } = tsxRequire('./trigger-eval.ts', __filename);

// Piscina loads this file before the thread reports ready: the first task's budget is for the task alone.
warmUp();

/**
 * One evaluation. `started` tells the pool when this thread begins it, so the time budget counts the
 * evaluation only, not the wait for a free thread. Never throws: an error of the evaluation (RE2
 * refusing a pattern, a template error) is the answer, so that a rejection always means the pool or
 * the thread failed (budget exceeded, out of memory, pool closed).
 */
module.exports = async function evaluate({ task, started }) {
  Atomics.store(started, 0, 1);
  Atomics.notify(started, 0);
  try {
    return { target: await evaluateTrigger(task) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
};
