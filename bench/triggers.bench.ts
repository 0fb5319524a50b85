import type { Transition } from '../src/core/definition.schema';
import type { JsonObject } from '../src/core/json';
import { evaluateTransitions } from '../src/services/triggers/trigger-eval';
import { TriggerPool } from '../src/services/triggers/trigger-pool';
import { ctx, event, triggerCondition } from './fixtures';
import { measure, type BenchResult, type MeasureOptions } from './measure';

/**
 * What moving trigger evaluation off the event loop costs one event: the same trigger (the reference
 * trigger, 4 leaves) evaluated inline, as `decide` did before, and through the pool, as it does now
 * (the event data serialised once, as `decideAll` does, then the round trip to a thread and back).
 */
export async function triggerBenchmarks(opts: MeasureOptions = {}): Promise<BenchResult[]> {
  const transitions: Transition[] = [{ target: 'next', condition: triggerCondition }];
  // About 100 KB: a conversation event carrying a long field.
  const large: JsonObject = { ...event, body: 'x'.repeat(100_000) };
  const pool = new TriggerPool({ threads: 2, timeoutMs: 250 });
  const pooled = (data: JsonObject) => () =>
    pool.evaluate('bench', { transitions, dataJson: JSON.stringify(data), now: ctx.now });
  try {
    if ((await pooled(event)()) !== 'next') throw new Error('benchmark precondition failed: the trigger holds');
    const single = { ...opts, minSampleUs: 0 };
    return [
      await measure('trigger: inline (before the pool)', () => evaluateTransitions(transitions, event, ctx.now), opts),
      await measure('trigger: pooled (1 KB event)', pooled(event), single),
      await measure('trigger: pooled (100 KB event)', pooled(large), single),
    ];
  } finally {
    await pool.close();
  }
}
