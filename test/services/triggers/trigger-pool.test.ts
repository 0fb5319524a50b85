import { afterAll, describe, expect, it } from 'vitest';
import type { Condition, Transition } from '../../../src/core/definition.schema';
import { evaluateTransitions, needsEvaluation } from '../../../src/services/triggers/trigger-eval';
import { TriggerEvaluationError, TriggerPool } from '../../../src/services/triggers/trigger-pool';

/** The pool on its own (no servers needed): its threads load under vitest, budgets, errors, fairness. */
const to = (condition: Condition, target = 'next'): Transition => ({ target, condition });
const regex = (pattern: string): Condition => ({ op: 'regex', values: ['/#steps.1.text', pattern] });
const T: Condition = { op: 'true', values: [true] };
const HOSTILE = '[\\s\\S]{1000}'.repeat(16);
const LONG_TEXT = JSON.stringify({ text: 'x'.repeat(60_000) });

describe('needsEvaluation', () => {
  it.each<[string, Transition[], boolean]>([
    ['no transitions', [], false],
    ['true', [to(T)], false],
    [
      'and/or of true, and an empty or',
      [to({ op: 'and', values: [T, { op: 'or', values: [T] }] }), to({ op: 'or', values: [] })],
      false,
    ],
    ['a true node whose values hold a template (never read)', [to({ op: 'true', values: ['{{steps.1.x}}'] })], false],
    ['an eq', [to({ op: 'eq', values: ['/#steps.1.a', 'b'] })], true],
    ['a regex under an and', [to({ op: 'and', values: [T, regex('a')] })], true],
    ['a second transition that reads the event', [to(T), to({ op: 'exists', values: ['/#steps.1.a'] })], true],
  ])('is %s: %s', (_, transitions, expected) => {
    expect(needsEvaluation(transitions)).toBe(expected);
  });

  it('leaves constant transitions to an inline evaluation with the same semantics', async () => {
    expect(
      await evaluateTransitions([to({ op: 'or', values: [] }, 'a'), to({ op: 'and', values: [] }, 'b')], {}, 0),
    ).toBe('b');
  });
});

describe('TriggerPool', () => {
  const pools: TriggerPool[] = [];
  const pool = (threads: number, timeoutMs: number) => {
    const created = new TriggerPool({ threads, timeoutMs });
    pools.push(created);
    return created;
  };
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  it('evaluates on its threads and answers the first transition that holds', async () => {
    const p = pool(2, 1000);
    const transitions = [to(regex('^b'), 'first'), to(regex('^a'), 'second')];
    expect(await p.evaluate('org', { transitions, dataJson: '{"text":"abc"}', now: 0 })).toBe('second');
    expect(await p.evaluate('org', { transitions, dataJson: '{"text":"xyz"}', now: 0 })).toBeNull();
  });

  it('turns what the evaluation throws into a TriggerEvaluationError with its message', async () => {
    const p = pool(2, 1000);
    const evaluate = (condition: Condition, data: unknown) =>
      p.evaluate('org', { transitions: [to(condition)], dataJson: JSON.stringify(data), now: 0 });
    const refused = evaluate(regex('/#steps.1.pattern'), { text: 'ab', pattern: '(?<=a)b' });
    await expect(refused).rejects.toBeInstanceOf(TriggerEvaluationError);
    await expect(refused).rejects.toThrow('RE2 cannot compile "(?<=a)b"');
    // A pattern of 400 KB is not stored whole in the message.
    const long = evaluate(regex('/#steps.1.pattern'), { text: 'ab', pattern: `(${'a'.repeat(5000)}` });
    await expect(long).rejects.toThrow(/^RE2 cannot compile .{400,500}$/);
    await expect(evaluate({ op: 'eq', values: ['{{#each}}', 'x'] }, {})).rejects.toThrow(/^template error/);
  });

  it('ends an evaluation past its budget, and the pool carries on', async () => {
    const p = pool(2, 100);
    const started = performance.now();
    const slow = p.evaluate('org', { transitions: [to(regex(HOSTILE))], dataJson: LONG_TEXT, now: 0 });
    await expect(slow).rejects.toThrow(new TriggerEvaluationError('trigger evaluation exceeded 100 ms'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(await p.evaluate('org', { transitions: [to(regex('^a'))], dataJson: '{"text":"a"}', now: 0 })).toBe('next');
  });

  it('counts the budget from when a thread starts the evaluation, not while it waits for one', async () => {
    const p = pool(1, 150);
    const hostile = p.evaluate('a', { transitions: [to(regex(HOSTILE))], dataJson: LONG_TEXT, now: 0 });
    // Queued behind A's evaluation (and the replacement of its thread): far longer than 150 ms.
    const started = performance.now();
    const waiting = p.evaluate('b', { transitions: [to(regex('^a'))], dataJson: '{"text":"a"}', now: 0 });
    await expect(hostile).rejects.toThrow('exceeded 150 ms');
    expect(await waiting).toBe('next');
    expect(performance.now() - started).toBeGreaterThan(150);
  });

  it("keeps a thread for the other orgs while one org's evaluations overrun", async () => {
    const p = pool(2, 200);
    // Both threads loaded first (a new pool's threads take tasks while they still load their modules).
    const trivial = { transitions: [to(regex('^a'))], dataJson: '{"text":"a"}', now: 0 };
    await Promise.all([p.evaluate('warm-1', trivial), p.evaluate('warm-2', trivial)]);
    let flooding = true;
    const flood = async () => {
      while (flooding) {
        await p
          .evaluate('a', { transitions: [to(regex(HOSTILE))], dataJson: LONG_TEXT, now: 0 })
          .catch((error: unknown) => expect(error).toBeInstanceOf(TriggerEvaluationError));
      }
    };
    const floods = [flood(), flood()];
    await new Promise((r) => setTimeout(r, 100));
    const latencies: number[] = [];
    const until = performance.now() + 2500;
    while (performance.now() < until) {
      const started = performance.now();
      expect(await p.evaluate('b', { transitions: [to(regex('^a'))], dataJson: '{"text":"a"}', now: 0 })).toBe('next');
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 10));
    }
    flooding = false;
    await Promise.all(floods);
    latencies.sort((x, y) => x - y);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
    console.log(`org B beside a flooding org A: n=${latencies.length} p99=${p99.toFixed(1)} ms`);
    // Without the per-org limit, B waits for A's overrun plus a thread replacement (over a second here).
    expect(p99).toBeLessThan(500);
  });

  it('fails with a pool error, not a trigger error, once closed', async () => {
    const p = new TriggerPool({ threads: 1, timeoutMs: 1000 });
    await p.close();
    const after = p.evaluate('org', { transitions: [to(regex('a'))], dataJson: '{"text":"a"}', now: 0 });
    await expect(after).rejects.toThrow();
    await expect(after).rejects.not.toBeInstanceOf(TriggerEvaluationError);
  });
});
