import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json';
import { keyedDispatch, keyedWorkflowIdFor } from '../../src/services/events.service';
import type { DefinitionRecord } from '../../src/services/workflows.service';
import { keyedStateQuery } from '../../src/workflows/keyed.workflow';
import { crm } from '../helpers/crm';
import { eventually, startHarness, type Harness } from '../helpers/harness';

/**
 * Per-record trigger options through the API on the real servers: events of a debounced definition go
 * to their key's `keyedRun`, which runs the steps once, on the last event, when the quiet period ends.
 */

describe('keyedDispatch', () => {
  const definitionWith = (trigger: JsonObject) =>
    ({
      id: 'wf',
      definition: { trigger: { eventName: 'message.create', transitions: [], ...trigger } },
    }) as unknown as DefinitionRecord;
  const data = { id: 'msg-1', conversation: 'conv-1', count: 3, nested: { a: 1 }, empty: '' };

  it.each<[string, JsonObject, ReturnType<typeof keyedDispatch>]>([
    [
      'debounce',
      { debounce: { key: '/#steps.1.conversation', delay: 'PT2S' } },
      { mode: 'debounce', key: 'conv-1', delayMs: 2000 },
    ],
    [
      'debounce in seconds',
      { debounce: { key: '/#steps.1.conversation', delay: 60 } },
      { mode: 'debounce', key: 'conv-1', delayMs: 60_000 },
    ],
    ['queue, keyed by the record id', { concurrency: 'queue' }, { mode: 'queue', key: 'msg-1' }],
    [
      'replace with a key',
      { concurrency: { mode: 'replace', key: '/#steps.1.conversation' } },
      { mode: 'replace', key: 'conv-1' },
    ],
    ['a number key', { concurrency: { mode: 'queue', key: '/#steps.1.count' } }, { mode: 'queue', key: '3' }],
    [
      'a template key',
      { concurrency: { mode: 'queue', key: 'c-{{steps.1.conversation}}' } },
      { mode: 'queue', key: 'c-conv-1' },
    ],
    [
      'debounce over concurrency',
      { debounce: { key: '/#steps.1.id', delay: 'PT1M' }, concurrency: 'queue' },
      { mode: 'debounce', key: 'msg-1', delayMs: 60_000 },
    ],
    ['parallel', { concurrency: 'parallel' }, null],
    ['no option', {}, null],
    ['a key that resolves to nothing', { concurrency: { mode: 'queue', key: '/#steps.1.missing' } }, null],
    ['a key that resolves to an object', { concurrency: { mode: 'queue', key: '/#steps.1.nested' } }, null],
    ['a key that resolves to ""', { debounce: { key: '/#steps.1.empty', delay: 'PT1M' } }, null],
  ])('%s', (_name, trigger, expected) => {
    expect(keyedDispatch(definitionWith(trigger), data)).toEqual(expected);
  });
});

describe('debounce through the API', () => {
  let h: Harness;
  let api: ReturnType<typeof crm>;
  let org: string;

  beforeAll(async () => {
    h = await startHarness('keyed');
    const created = await h.createOrg();
    org = created.id;
    api = crm(h, created.apiKey);
  });
  afterAll(() => h?.close());

  // "Close a conversation after the last outbound message" with a short delay: re-read, close if still open.
  const closeAfterQuiet = {
    name: 'close after the last outbound message',
    enabled: true,
    trigger: {
      eventName: 'message.create',
      debounce: { key: '/#steps.1.conversation', delay: 'PT5S' },
      transitions: [{ target: 'find', condition: { op: 'eq', values: ['/#steps.1.direction', 'out'] } }],
    },
    steps: [
      {
        id: 'find',
        action: 'conversation.find-by-id',
        params: { id: '/#steps.1.conversation' },
        transitions: [{ target: 'close', condition: { op: 'eq', values: ['/#steps.find.status', 'open'] } }],
      },
      { id: 'close', action: 'conversation.update', params: { id: '/#steps.1.conversation', status: 'done' } },
    ],
  };

  it('runs once per record, on the last of two quick events; another record has its own run', async () => {
    const wf = await api.createWorkflow(closeAfterQuiet);
    const customer = await api.createCustomer({ name: 'Kay' });
    const a = await api.createConversation({ customer: customer.id });
    const b = await api.createConversation({ customer: customer.id });
    const send = (conversation: string, body: string) =>
      api.write('POST', '/v1/messages', { conversation, body, direction: 'out' }, 201);
    const a1 = await send(a.id, 'first');
    const a2 = await send(a.id, 'second');
    const b1 = await send(b.id, 'only');

    // Each event names the run it will have: the key starts it when the quiet period ends.
    const runOf = async (eventId: string): Promise<string> => (await api.event(eventId)).runs[0].id;
    const [runA1, runA2, runB1] = [await runOf(a1.eventId), await runOf(a2.eventId), await runOf(b1.eventId)];
    expect(new Set([runA1, runA2, runB1]).size).toBe(3);

    const runs = await api.finishedRuns(wf.id, 2);
    expect(runs.map((r: { id: string }) => r.id).sort()).toEqual([runA2, runB1].sort());
    const runA = runs.find((r: { id: string }) => r.id === runA2);
    expect(runA.status).toBe('completed');
    expect(runA.steps[0].output).toMatchObject({ id: a2.record.id, conversation: a.id, direction: 'out' });
    expect(runA.steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toEqual([
      '1:completed',
      'find:completed',
      'close:completed',
    ]);
    expect((await api.getConversation(a.id)).status).toBe('done');
    expect((await api.getConversation(b.id)).status).toBe('done');

    // The key has nothing left: the first event's run never starts.
    const key = h.client.workflow.getHandle(keyedWorkflowIdFor(org, wf.id, 'debounce', a.id));
    const state = await eventually(async () => {
      const s = await key.query(keyedStateQuery);
      return s.current === null ? s : undefined;
    });
    expect(state).toMatchObject({ key: a.id, mode: 'debounce', pending: [], started: 1 });
    expect((await h.request('GET', `/v1/runs/${runA1}`, { key: api.key })).status).toBe(404);
    expect(await api.runsOf(wf.id)).toHaveLength(2);
  });
});
