import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import RE2 from 're2';
import { describe, expect, it, vi } from 'vitest';
import { DefinitionSchema, StepSchema } from '../../src/core/definition.schema';
import type { Definition } from '../../src/core/definition.schema';
import { ancestorsOf, buildGraph, findCycles, reachableFrom } from '../../src/core/graph';
import type { JsonValue } from '../../src/core/json';
import { MAX_CONDITION_DEPTH } from '../../src/core/limits';
import type { Problem } from '../../src/core/problems';
import { isDynamic, parseDefinition, validateDefinition } from '../../src/core/validate';
import { jsonSchemaError } from '../../src/services/json-schemas';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'definitions');

const checkRegex = (pattern: string): string | undefined => {
  try {
    new RE2(pattern);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

function counter(prefix = 'gen'): () => string {
  let n = 0;
  return () => `${prefix}${++n}`;
}

const parse = (input: unknown) =>
  parseDefinition(input, { checkRegex, checkJsonSchema: jsonSchemaError, newId: counter() });

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as unknown;
}

function problemsOf(input: unknown): Problem[] {
  const result = parse(input);
  return result.ok ? [] : result.problems;
}

/** A stored definition (defaults applied) from a compact literal. */
function def(partial: { trigger?: Record<string, unknown>; steps?: unknown[] }): Definition {
  return DefinitionSchema.parse({
    name: 'test',
    trigger: { eventName: 'conversation.create', ...partial.trigger },
    steps: partial.steps ?? [],
  });
}

const to = (target: string, condition?: unknown) => (condition === undefined ? { target } : { target, condition });
const find = (id: string, ...targets: string[]) => ({
  id,
  action: 'conversation.find-by-id',
  params: { id: '/#steps.1.id' },
  transitions: targets.map((t) => to(t)),
});
const eq = (a: unknown, b: unknown) => ({ op: 'eq', values: [a, b] });

const cases = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.workflow.json'))
  .map((f) => f.slice(0, -'.workflow.json'.length))
  .sort();
const valid = cases.filter((c) => !readdirSync(FIXTURES).includes(`${c}.expected.json`));
const invalid = cases.filter((c) => !valid.includes(c));

describe('fixtures', () => {
  it('has both valid and invalid cases, including the reference example', () => {
    expect(valid).toContain('closed-conversation-followup');
    expect(invalid.length).toBeGreaterThanOrEqual(8);
  });

  it.each(valid)('accepts %s', (name) => {
    const result = parse(readJson(`${name}.workflow.json`));
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it.each(invalid)('rejects %s with exactly the expected problems', (name) => {
    const expected = readJson(`${name}.expected.json`) as Problem[];
    const problems = problemsOf(readJson(`${name}.workflow.json`));
    for (const want of expected) {
      const match = problems.find((p) => p.path === want.path && p.message.includes(want.message));
      expect(match, `expected ${JSON.stringify(want)} in ${JSON.stringify(problems, null, 2)}`).toBeDefined();
    }
    expect(problems, 'unexpected extra problems').toHaveLength(expected.length);
  });
});

describe('parseDefinition', () => {
  it('returns the definition with schema defaults applied when it is valid', () => {
    const result = parse(readJson('closed-conversation-followup.workflow.json'));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.definition.steps.map((s) => s.id)).toEqual([
      'lookupCustomer',
      'vipNote',
      'raisePriority',
      'flagSurvey',
    ]);
    expect(result.definition.trigger.id).toBe('1');
  });

  it('gives steps without an id one from newId, skipping ids already in use', () => {
    const ids = ['a', '1', 'fresh'];
    const newId = vi.fn(() => ids.shift() ?? 'exhausted');
    const result = parseDefinition(
      { name: 'x', trigger: { eventName: 'e', transitions: [to('a')] }, steps: [find('a'), { action: 'org.current' }] },
      { newId },
    );
    expect(newId).toHaveBeenCalledTimes(3);
    // A step with a generated id cannot be the target of any transition yet, so it is unreachable.
    expect(result.ok ? [] : result.problems).toEqual(
      expect.arrayContaining([{ path: 'steps[1]', message: 'step "fresh" is unreachable from the trigger' }]),
    );
  });

  it('returns only the schema problems when the input does not fit the schema', () => {
    const problems = problemsOf({ name: '', trigger: { eventName: 'e', transitions: [to('nope')] }, steps: [] });
    expect(problems).toEqual([{ path: 'name', message: expect.stringContaining('>=1') }]);
  });

  it('reports a non-object input at the root', () => {
    expect(problemsOf('nope')).toEqual([{ path: '$', message: expect.stringContaining('expected object') }]);
  });
});

describe('validateDefinition', () => {
  it('reports every kind of problem in one pass', () => {
    const problems = validateDefinition(
      def({
        trigger: { transitions: [to('a'), to('ghost')] },
        steps: [
          find('a', 'b'),
          find('b', 'a'),
          find('lonely'),
          { id: 'x', action: 'nope.nope', params: {} },
          { id: 'x', action: 'conversation.update', params: { id: 1, priority: 0 } },
        ],
      }),
      { checkRegex },
    );
    expect(problems.map((p) => p.path)).toEqual([
      'steps[4].id',
      'trigger.transitions[1].target',
      'steps[2]',
      'steps[3]',
      'steps[1].transitions[0].target',
      'steps[3].action',
      'steps[4].params.priority',
    ]);
  });

  it('accepts action names with and without the kustomer. prefix', () => {
    const d = def({
      trigger: { transitions: [to('a')] },
      steps: [
        { id: 'a', action: 'kustomer.org.current', transitions: [to('b')] },
        { id: 'b', action: 'kustomer.conversation.find-by-id', params: { id: 'c1' }, transitions: [to('c')] },
        { id: 'c', action: 'conversation.find-by-id', params: { id: 'c1' } },
      ],
    });
    expect(validateDefinition(d)).toEqual([
      { path: 'steps[0].action', message: 'unknown action "kustomer.org.current"' },
    ]);
  });

  it('skips type checks for dynamic values but still reports unknown keys', () => {
    const d = def({
      trigger: { transitions: [to('a')] },
      steps: [
        {
          id: 'a',
          action: 'conversation.update',
          params: {
            id: '/#steps.1.id',
            priority: '{{math steps.1.priority "+" 1}}',
            tags: ['vip', '/#steps.1.tag'],
            snoozedUntil: '/#fn:dateFormat,steps.1.at,YYYY',
            custom: { deep: [{ x: '{{{steps.1.name}}}' }] },
            extra: '/#steps.1.id',
          },
        },
      ],
    });
    expect(validateDefinition(d)).toEqual([
      { path: 'steps[0].params.extra', message: 'unknown param "extra" for action "conversation.update"' },
    ]);
  });

  it('type-checks literal values, casting as the action will, with nested paths', () => {
    const d = def({
      trigger: { transitions: [to('a')] },
      steps: [
        {
          id: 'a',
          action: 'conversation.update',
          params: { id: 'c1', priority: '4', status: 'closed', tags: 'one', snoozedUntil: 'tomorrow' },
          transitions: [to('b')],
        },
        {
          id: 'b',
          action: 'customer.update',
          params: { id: 'u1', emails: [{ email: 'ok@example.com' }, { email: 'no' }] },
        },
      ],
    });
    expect(validateDefinition(d).map((p) => p.path)).toEqual([
      'steps[0].params.status',
      'steps[0].params.snoozedUntil',
      'steps[1].params.emails[1].email',
    ]);
  });

  it('reports a missing required param even when the step has no params at all', () => {
    const d = def({ trigger: { transitions: [to('a')] }, steps: [{ id: 'a', action: 'message.find-last' }] });
    expect(validateDefinition(d)).toEqual([
      {
        path: 'steps[0].params.conversation',
        message: 'missing required param "conversation" for action "message.find-last"',
      },
    ]);
  });

  it('accepts a branch step with neither action nor params', () => {
    const d = def({
      trigger: { transitions: [to('branch')] },
      steps: [{ id: 'branch', transitions: [to('a', eq('/#steps.1.status', 'done'))] }, find('a')],
    });
    expect(validateDefinition(d)).toEqual([]);
  });

  it('does not check regexes when no checkRegex is given, nor dynamic patterns', () => {
    const spy = vi.fn(checkRegex);
    const d = def({
      trigger: { transitions: [to('a', { op: 'regex', values: ['/#steps.1.x', '/#steps.1.pattern'] })] },
      steps: [{ id: 'a', action: 'regex-match.generic', params: { testString: 'x', regex: '({{{steps.1.p}}})\\1' } }],
    });
    expect(validateDefinition(d, { checkRegex: spy })).toEqual([]);
    expect(spy).not.toHaveBeenCalled();
    const literal = def({
      trigger: { transitions: [to('a', { op: 'regex', values: ['x', '(a)\\1'] })] },
      steps: [find('a')],
    });
    expect(validateDefinition(literal)).toEqual([]);
    expect(validateDefinition(literal, { checkRegex })).toHaveLength(1);
  });

  it('names every step of a cycle and points at the transition that closes it', () => {
    const d = def({ trigger: { transitions: [to('a')] }, steps: [find('a', 'b'), find('b', 'c'), find('c', 'b')] });
    expect(validateDefinition(d)).toEqual([
      { path: 'steps[2].transitions[0].target', message: expect.stringContaining('cycle: b -> c -> b') },
    ]);
  });

  it('does not mistake a diamond (two branches joining) for a cycle', () => {
    const d = def({
      trigger: { transitions: [to('a')] },
      steps: [find('a', 'b', 'c'), find('b', 'd'), find('c', 'd'), find('d')],
    });
    expect(validateDefinition(d)).toEqual([]);
  });

  it('reports and/or nested deeper than MAX_CONDITION_DEPTH where the walk stops, checking the levels above', () => {
    // Deeper than the schema admits: only a condition built in code can nest this far.
    let condition: JsonValue = { op: 'regex', values: ['x', '(a)\\1'] };
    for (let level = 0; level < MAX_CONDITION_DEPTH + 1; level++) condition = { op: 'and', values: [condition] };
    const d = def({ trigger: { transitions: [to('a')] }, steps: [find('a')] });
    d.trigger.transitions[0]!.condition = { op: 'or', values: [{ op: 'eq', values: ['/#foo', 1] }, condition] };
    const deepest = `.values[1]${'.values[0]'.repeat(MAX_CONDITION_DEPTH - 1)}`;
    expect(validateDefinition(d, { checkRegex })).toEqual([
      { path: 'trigger.transitions[0].condition.values[0].values[0]', message: expect.stringContaining('"/#foo"') },
      {
        path: `trigger.transitions[0].condition${deepest}`,
        message: `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels`,
      },
    ]);
  });
});

describe('isDynamic', () => {
  it.each([
    ['/#steps.1.id', true],
    ['/#fn:parseInt,steps.1.n', true],
    ['Hi {{{steps.1.name}}}', true],
    [['a', { b: ['/#steps.1.x'] }], true],
    ['Order /#steps.1.id', false],
    ['{ not a template }', false],
    [42, false],
    [null, false],
    [{ a: ['x', 1, true] }, false],
  ])('isDynamic(%j) is %s', (value, want) => {
    expect(isDynamic(value)).toBe(want);
  });
});

describe('graph', () => {
  // Built past the schema's MAX_STEPS on purpose: the graph code itself must not recurse per step.
  const chain = (n: number) => ({
    ...def({ trigger: { transitions: [to('s0')] } }),
    steps: Array.from({ length: n }, (_, i) => StepSchema.parse(find(`s${i}`, ...(i + 1 < n ? [`s${i + 1}`] : [])))),
  });

  it('finds ancestors through transitions and error cases', () => {
    const graph = buildGraph(
      def({
        trigger: { transitions: [to('a')] },
        steps: [
          { ...find('a', 'b'), errorCases: [to('c')] },
          find('b', 'd'),
          find('c', 'd'),
          find('d'),
          find('e', 'd'),
        ],
      }),
    );
    expect([...ancestorsOf(graph, 'd')].sort()).toEqual(['1', 'a', 'b', 'c', 'e']);
    expect([...ancestorsOf(graph, 'c')].sort()).toEqual(['1', 'a']);
    expect([...reachableFrom(graph)].sort()).toEqual(['1', 'a', 'b', 'c', 'd']);
  });

  it('handles long chains without overflowing the stack', () => {
    const graph = buildGraph(chain(20_000));
    expect(findCycles(graph)).toEqual([]);
    expect(reachableFrom(graph).size).toBe(20_001);
  });

  it('finds a cycle among steps the trigger cannot reach', () => {
    const graph = buildGraph(def({ steps: [find('a', 'b'), find('b', 'a')] }));
    expect(findCycles(graph).map((c) => c.ids)).toEqual([['a', 'b', 'a']]);
  });
});

// These depend on src/core/references.ts (referencedSteps, valueProblems), written in parallel.
describe('validateDefinition: references', () => {
  const twoBranches = (vipParams: Record<string, unknown>) =>
    def({
      trigger: { transitions: [to('lookup')] },
      steps: [
        {
          id: 'lookup',
          action: 'customer.find',
          params: { identifier: '/#steps.1.customer' },
          transitions: [to('vip', eq('/#steps.lookup.vipBool', true)), to('other')],
          errorCases: [to('other', { op: 'exists', values: ['/#error.message'] })],
        },
        { id: 'vip', action: 'note.create', params: { conversation: '/#steps.1.id', ...vipParams } },
        { id: 'other', action: 'conversation.update', params: { id: '/#steps.1.id', name: '{{{steps.lookup.name}}}' } },
      ],
    });

  it('allows the trigger, ancestors, own output in transitions, and /#error in error cases', () => {
    expect(validateDefinition(twoBranches({ body: 'VIP {{{steps.lookup.name}}} ({{{steps.1.id}}})' }))).toEqual([]);
  });

  it('rejects a step on another branch, in templates, references and /#fn: calls', () => {
    for (const body of ['{{{steps.other.id}}}', '/#steps.other.id', '/#fn:ifExists,steps.other.id']) {
      expect(validateDefinition(twoBranches({ body }))).toEqual([
        { path: 'steps[1].params.body', message: 'step "other" cannot have run before step "vip"' },
      ]);
    }
  });

  it('rejects a reference to a step that does not exist, with the exact nested path', () => {
    const problems = validateDefinition(twoBranches({ body: 'x', userMentions: [{ user: '/#steps.nobody.id' }] }));
    expect(problems).toEqual([
      {
        path: 'steps[1].params.userMentions[0].user',
        message: 'reference to step "nobody", which is not a step of this workflow',
      },
    ]);
  });

  it('lets trigger conditions reference only step "1"', () => {
    const d = def({
      trigger: { transitions: [to('a', { op: 'and', values: [eq('/#steps.1.x', 1), eq('/#steps.a.x', 1)] })] },
      steps: [find('a')],
    });
    expect(validateDefinition(d)).toEqual([
      {
        path: 'trigger.transitions[0].condition.values[1].values[0]',
        message: 'step "a" cannot have run before the trigger\'s conditions (they may reference only step "1")',
      },
    ]);
  });

  it('allows "error" in error cases and in the steps after an error case, not elsewhere', () => {
    const d = def({
      trigger: { transitions: [to('a')] },
      steps: [
        {
          ...find('a', 'ok'),
          errorCases: [to('handle', { op: 'eq', values: ['/#error.code', 'not_found'] })],
        },
        {
          id: 'handle',
          action: 'note.create',
          params: { conversation: '/#steps.1.id', body: 'x' },
          transitions: [to('after')],
        },
        {
          id: 'after',
          action: 'note.create',
          params: { conversation: '/#steps.1.id', body: 'failed: {{{error.message}}}' },
        },
        {
          id: 'ok',
          action: 'note.create',
          params: { conversation: '/#steps.1.id', body: '/#fn:ifExists,error.code,none' },
        },
      ],
    });
    expect(validateDefinition(d)).toEqual([
      {
        path: 'steps[3].params.body',
        message: expect.stringContaining('"error" is only set while a failure is handled'),
      },
    ]);
  });

  it('reports syntax problems of params and condition values at their full path', () => {
    const d = def({
      trigger: { transitions: [to('a', eq('{{#if steps.1.x}}', 'y'))] },
      steps: [
        { id: 'a', action: 'note.create', params: { conversation: '/#steps.1.id', body: '/#fn:noSuchFn,steps.1.x' } },
      ],
    });
    const paths = validateDefinition(d).map((p) => p.path);
    expect(paths).toContain('trigger.transitions[0].condition.values[0]');
    expect(paths).toContain('steps[0].params.body');
  });
});

describe('parseDefinition: what makes no sense is refused', () => {
  const base = { name: 'strict', trigger: { eventName: 'conversation.create' }, steps: [] as unknown[] };

  it('refuses unknown keys at every level, naming them with their path', () => {
    const problems = problemsOf({
      ...base,
      colour: 'red',
      trigger: { ...base.trigger, when: 'now' },
      steps: [
        {
          id: 'a',
          action: 'conversation.find-by-id',
          params: { id: '/#steps.1.id' },
          transition: [],
          errorCases: [{ target: 'a', condition: { op: 'true', values: [], negate: true }, weight: 1 }],
        },
      ],
    });
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(byPath['$']).toContain('"colour"');
    expect(byPath['trigger']).toContain('"when"');
    expect(byPath['steps[0]']).toContain('"transition"');
    expect(byPath['steps[0].errorCases[0]']).toContain('"weight"');
    expect(byPath['steps[0].errorCases[0].condition']).toContain('"negate"');
  });

  it('accepts and drops the server-managed keys that reads and exports carry', () => {
    const result = parse({
      ...base,
      id: 'wf1',
      rev: 7,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      modifiedBy: 'u1',
      trigger: { ...base.trigger, _id: 'm0', transitions: [{ target: 'a' }] },
      steps: [{ _id: 'm1', id: 'a', action: 'conversation.find-by-id', params: { id: '/#steps.1.id' } }],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.keys(result.definition).sort()).toEqual([
      'description',
      'enabled',
      'meta',
      'name',
      'steps',
      'trigger',
    ]);
    expect(result.definition.steps[0]).not.toHaveProperty('_id');
    expect(result.definition.trigger).not.toHaveProperty('_id');
  });

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])('refuses the step id %s', (id) => {
    const problems = problemsOf({ ...base, steps: [{ id, action: 'conversation.find-by-id', params: { id: 'x' } }] });
    expect(problems).toContainEqual({
      path: 'steps[0].id',
      message: `"${id}" is reserved: JavaScript objects inherit that name`,
    });
  });

  it('refuses strings and lists past their documented limits', () => {
    const long = (n: number) => 'x'.repeat(n);
    const problems = problemsOf({
      ...base,
      name: long(201),
      description: long(5001),
      trigger: { eventName: `a${long(200)}`, appVersion: long(101) },
      steps: [
        {
          id: long(65),
          action: long(201),
          transitions: Array.from({ length: 51 }, () => ({ target: 'b' })),
        },
      ],
    });
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'description',
        'name',
        'steps[0].action',
        'steps[0].id',
        'steps[0].transitions',
        'trigger.appVersion',
        'trigger.eventName',
      ].sort(),
    );
  });

  it('refuses event names that are not names', () => {
    for (const eventName of ['conversation create', '.conversation', 'a/b', 'é']) {
      expect(
        problemsOf({ ...base, trigger: { eventName } }).map((p) => p.path),
        eventName,
      ).toEqual(['trigger.eventName']);
    }
  });
});
