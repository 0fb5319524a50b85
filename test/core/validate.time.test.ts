import { describe, expect, it } from 'vitest';
import { DefinitionSchema, jsonSchemaOf } from '../../src/core/definition.schema';
import type { Definition } from '../../src/core/definition.schema';
import type { JsonObject } from '../../src/core/json';
import type { Problem } from '../../src/core/problems';
import { literalCallTargets, parseDefinition, renameCallTargets, validateDefinition } from '../../src/core/validate';
import { jsonSchemaError } from '../../src/services/json-schemas';

/*
 * Save-time checks of the time features (callable triggers, response schemas, the built-in steps,
 * debounce and concurrency). Paired fixtures (survey-after-done, callable-respond, debounced-close,
 * bad-time) are checked by validate.test.ts; these are the rules one at a time.
 */

let n = 0;
const parse = (input: unknown, definitionId?: string) =>
  parseDefinition(input, { checkJsonSchema: jsonSchemaError, newId: () => `gen${++n}`, definitionId });

function problemsOf(input: unknown): Problem[] {
  const result = parse(input);
  return result.ok ? [] : result.problems;
}

const callable = (trigger: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => ({
  name: 'callable',
  trigger: { callable: true, transitions: [{ target: 'a' }], ...trigger },
  steps: [{ id: 'a', action: 'note.create', params: { conversation: '/#steps.1.conversationId', body: 'hi' } }],
  ...rest,
});

/** A definition on conversation updates whose trigger goes to the first step. */
const onEvent = (trigger: Record<string, unknown>, steps: ({ id: string } & Record<string, unknown>)[]) => ({
  name: 'on-event',
  trigger: { eventName: 'kustomer.conversation.update', transitions: [{ target: steps[0]?.id }], ...trigger },
  steps,
});

const reread = (id: string, ref: string) => ({
  id,
  action: 'conversation.find-by-id',
  params: { id: ref },
});

describe('parseDefinition: callable triggers', () => {
  it('names a callable trigger without eventName workflow.<definitionId>.call', () => {
    const result = parse(callable(), 'abc123');
    expect(result.ok && result.definition.trigger.eventName).toBe('workflow.abc123.call');
  });

  it('keeps the event name an export gives a callable trigger', () => {
    const result = parse(callable({ eventName: 'kustomer.workflow.629806ce83f4a07ef11e0c76.call' }), 'abc123');
    expect(result.ok && result.definition.trigger.eventName).toBe('kustomer.workflow.629806ce83f4a07ef11e0c76.call');
  });

  it('requires eventName on a trigger that is not callable', () => {
    const input = { name: 'x', trigger: { callable: false, transitions: [] }, steps: [] };
    expect(problemsOf(input)).toEqual([{ path: 'trigger.eventName', message: expect.stringContaining('required') }]);
  });

  it('accepts the input and output schemas of the corpus, property names with spaces, dots and "%&#" included', () => {
    const response = {
      schema: { properties: { 'Space In Name': { type: 'string' }, 'special%Char&In#Name': { type: 'string' } } },
    };
    expect(
      problemsOf(callable({ schema: { properties: { a: { type: 'string' } }, required: [] } }, { response })),
    ).toEqual([]);
  });

  it('refuses a schema that does not compile, at its path', () => {
    const problems = problemsOf(callable({ schema: { type: 'object', properties: { a: { type: 'text' } } } }));
    expect(problems).toEqual([{ path: 'trigger.schema', message: expect.stringContaining('not a valid JSON Schema') }]);
    expect(problemsOf(callable({}, { response: { schema: { required: 'a' } } })).map((p) => p.path)).toEqual([
      'response.schema',
    ]);
  });

  it('refuses keys other than schema in response', () => {
    expect(problemsOf(callable({}, { response: { schema: {}, shape: {} } })).map((p) => p.path)).toEqual(['response']);
  });

  it('refuses debounce and concurrency on a callable trigger (they apply to runs started by events)', () => {
    const problems = problemsOf(callable({ debounce: { key: '/#steps.1.id', delay: 'PT1M' }, concurrency: 'queue' }));
    expect(problems.map((p) => p.path)).toEqual(['trigger.debounce', 'trigger.concurrency']);
  });
});

describe('jsonSchemaOf', () => {
  it('reads an app export\'s {"name": "type"} map as an object schema', () => {
    expect(jsonSchemaOf({ input1: 'string', count: 'number' })).toEqual({
      type: 'object',
      properties: { input1: { type: 'string' }, count: { type: 'number' } },
    });
  });

  it('leaves a JSON Schema as it is, {"type": "object"} included', () => {
    const schemas: JsonObject[] = [
      { type: 'object' },
      { properties: { a: { type: 'string' } } },
      { $ref: 'string' },
      {},
    ];
    for (const schema of schemas) expect(jsonSchemaOf(schema)).toBe(schema);
  });
});

describe('validateDefinition: built-in steps', () => {
  it('checks literal params and leaves references, functions and templates to run time', () => {
    const steps = [
      { id: 'a', action: 'delay', params: { duration: '/#steps.1.pause' }, transitions: [{ target: 'b' }] },
      { id: 'b', action: 'delay', params: { until: '{{steps.1.snoozedUntil}}' }, transitions: [{ target: 'c' }] },
      {
        id: 'c',
        action: 'wait-for-event',
        params: { eventName: 'message.create', timeout: '/#fn:parseInt,steps.1.n' },
      },
    ];
    expect(problemsOf(onEvent({}, steps))).toEqual([]);
    const literal = [{ id: 'a', action: 'delay', params: { duration: 'two days' } }];
    expect(problemsOf(onEvent({}, literal)).map((p) => p.path)).toEqual(['steps[0].params.duration']);
  });

  it('accepts durations in seconds and refuses waits longer than a year', () => {
    expect(problemsOf(onEvent({}, [{ id: 'a', action: 'delay', params: { duration: 60 } }]))).toEqual([]);
    const long = problemsOf(onEvent({}, [{ id: 'a', action: 'delay', params: { duration: 'P400D' } }]));
    expect(long).toEqual([{ path: 'steps[0].params.duration', message: 'a wait can last a year at most' }]);
  });

  it("lets wait-for-event's condition read the arriving event as its own step, and nothing else", () => {
    const wait = (params: Record<string, unknown>) => ({
      id: 'w',
      action: 'wait-for-event',
      params: { eventName: 'message.create', timeout: 'P1D', ...params },
    });
    const own = { op: 'eq', values: ['/#steps.w.direction', 'in'] };
    expect(problemsOf(onEvent({}, [wait({ condition: own })]))).toEqual([]);
    expect(problemsOf(onEvent({}, [wait({ key: '/#steps.w.conversation' })]))).toEqual([
      { path: 'steps[0].params.key', message: 'step "w" cannot use its own output in its params' },
    ]);
    const later = { op: 'eq', values: ['/#steps.after.id', 'x'] };
    const steps = [
      { ...wait({ condition: later }), transitions: [{ target: 'after' }] },
      reread('after', '/#steps.1.id'),
    ];
    expect(problemsOf(onEvent({}, steps))).toEqual([
      { path: 'steps[0].params.condition.values[0]', message: 'step "after" cannot have run before step "w"' },
    ]);
  });

  it("lets later steps read a built-in step's output (timedOut, event, until)", () => {
    const steps = [
      {
        id: 'w',
        action: 'wait-for-event',
        params: { eventName: 'message.create', timeout: 'P1D' },
        transitions: [{ target: 'r', condition: { op: 'eq', values: ['/#steps.w.timedOut', false] } }],
      },
      { ...reread('r', '/#steps.w.event.conversation'), transitions: [{ target: 'd' }] },
      { id: 'd', action: 'delay', params: { duration: 'PT1H' }, transitions: [{ target: 'n' }] },
      { id: 'n', action: 'note.create', params: { conversation: '/#steps.r.id', body: 'since {{steps.d.until}}' } },
    ];
    expect(problemsOf(onEvent({}, steps))).toEqual([]);
  });

  it('accepts workflow.respond outside callable definitions (it sets the run outputs), under both names', () => {
    const steps = [
      {
        id: 'a',
        action: 'workflow.respond',
        params: { outputs: { id: '/#steps.1.id' } },
        transitions: [{ target: 'b' }],
      },
      { id: 'b', action: 'kustomer.responsive-workflow.respond', params: { outputs: {}, responseMeta: {} } },
    ];
    expect(problemsOf(onEvent({}, steps))).toEqual([]);
    const noOutputs = [{ id: 'a', action: 'workflow.respond', params: {} }];
    expect(problemsOf(onEvent({}, noOutputs))).toEqual([
      { path: 'steps[0].params.outputs', message: 'missing required param "outputs" for action "workflow.respond"' },
    ]);
  });
});

describe('validateDefinition: debounce and concurrency', () => {
  const step = reread('a', '/#steps.1.conversation');
  const paths = (trigger: Record<string, unknown>) => problemsOf(onEvent(trigger, [step])).map((p) => p.path);

  it('accepts debounce, each concurrency mode and a keyed concurrency', () => {
    expect(paths({ debounce: { key: '/#steps.1.conversation', delay: 'P7D' } })).toEqual([]);
    expect(paths({ debounce: { key: '/#steps.1.conversation', delay: 60 }, concurrency: 'parallel' })).toEqual([]);
    for (const mode of ['queue', 'replace', 'parallel']) expect(paths({ concurrency: mode })).toEqual([]);
    expect(paths({ concurrency: { mode: 'queue', key: '/#steps.1.customer' } })).toEqual([]);
  });

  it('refuses debounce with queue or replace, keys outside step 1, and bad delays or modes', () => {
    const debounce = { key: '/#steps.1.conversation', delay: 'P7D' };
    expect(paths({ debounce, concurrency: 'replace' })).toEqual(['trigger.concurrency']);
    expect(paths({ debounce, concurrency: { mode: 'queue' } })).toEqual(['trigger.concurrency']);
    expect(paths({ debounce: { ...debounce, key: '{{steps.1.conversation}}' } })).toEqual(['trigger.debounce.key']);
    expect(paths({ debounce: { ...debounce, key: '/#steps.a.id' } })).toEqual(['trigger.debounce.key']);
    expect(paths({ concurrency: { mode: 'queue', key: '/#error.message' } })).toEqual(['trigger.concurrency.key']);
    expect(paths({ debounce: { ...debounce, delay: 'P1Y' } })).toEqual(['trigger.debounce.delay']);
    expect(paths({ concurrency: 'serial' })).toEqual(['trigger.concurrency']);
  });
});

describe('literalCallTargets and renameCallTargets', () => {
  const def: Definition = DefinitionSchema.parse({
    name: 'calls',
    trigger: { eventName: 'conversation.update', transitions: [{ target: 'a' }] },
    steps: [
      { id: 'a', action: 'workflow.call', params: { workflowId: 'w1', inputs: {} }, transitions: [{ target: 'b' }] },
      {
        id: 'b',
        action: 'kustomer.app.scheduler.schedule-workflow',
        params: { workflowId: 'w2', runAt: { type: 'relative', value: 60 }, inputs: {} },
        transitions: [{ target: 'c' }],
      },
      { id: 'c', action: 'workflow.call', params: { workflowId: '/#steps.1.next' }, transitions: [{ target: 'd' }] },
      { id: 'd', action: 'note.create', params: { workflowId: 'w3', conversation: 'x', body: 'y' } },
    ],
  });

  it('lists the literal targets of workflow.call and schedule-workflow steps only', () => {
    expect(literalCallTargets(def)).toEqual([
      { step: 0, workflowId: 'w1' },
      { step: 1, workflowId: 'w2' },
    ]);
  });

  it('rewrites the targets it is given new ids for, and returns the definition itself when none', () => {
    const renamed = renameCallTargets(def, new Map([['w2', 'new2']]));
    expect(literalCallTargets(renamed)).toEqual([
      { step: 0, workflowId: 'w1' },
      { step: 1, workflowId: 'new2' },
    ]);
    expect(renamed.steps[1]?.params?.['runAt']).toEqual({ type: 'relative', value: 60 });
    expect(def.steps[1]?.params?.['workflowId']).toBe('w2');
    expect(renameCallTargets(def, new Map([['other', 'x']]))).toBe(def);
  });

  it("validates literal targets only for their shape: whether they exist is the service's check", () => {
    expect(validateDefinition(def).filter((p) => p.path.startsWith('steps[0]'))).toEqual([]);
  });
});
