import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitionsForEvent, getCallable } from '../../../src/services/workflows.service';
import { always, crm } from '../../helpers/crm';
import { startHarness, type Harness } from '../../helpers/harness';

/**
 * Callable definitions through the API: naming on save, literal call targets checked on save, batch
 * imports that keep a chain of exported workflows working, and the lookups others build on
 * (`getCallable`; `definitionsForEvent` never returns a callable definition).
 */
let h: Harness;
let org: string;
let key: string;
let api: ReturnType<typeof crm>;

beforeAll(async () => {
  h = await startHarness('api-callable');
  ({ id: org, apiKey: key } = await h.createOrg('callable'));
  api = crm(h, key);
});
afterAll(() => h?.close());

const note = (id: string, transitions: unknown[] = []) => ({
  id,
  action: 'kustomer.note.create',
  params: { conversation: '/#steps.1.conversationId', body: 'hello' },
  transitions,
});

/** A callable definition; `exportedId` is the `id` an export carries. */
function callable(name: string, steps: unknown[] = [note('n')], extra: Record<string, unknown> = {}) {
  const first = (steps[0] as { id: string } | undefined)?.id;
  return {
    name,
    trigger: {
      callable: true,
      schema: { type: 'object', properties: { conversationId: { type: 'string' } } },
      transitions: first ? [{ target: first, condition: always }] : [],
    },
    steps,
    ...extra,
  };
}

const call = (id: string, workflowId: string, transitions: unknown[] = []) => ({
  id,
  action: 'workflow.call',
  params: { workflowId, inputs: { conversationId: '/#steps.1.conversationId' } },
  transitions,
});

const problems = (body: { error: { details: { path: string; message: string }[] } }) => body.error.details;

describe('saving a callable definition', () => {
  it('names it workflow.<id>.call when its trigger has no eventName, and keeps that name on PUT', async () => {
    const created = await api.createWorkflow(callable('named'));
    expect(created.trigger.eventName).toBe(`workflow.${created.id}.call`);
    const put = await api.call('PUT', `/v1/workflows/${created.id}`, { description: 'changed' });
    expect(put.trigger.eventName).toBe(`workflow.${created.id}.call`);
  });

  it('keeps an event name an export gives it', async () => {
    const eventName = 'kustomer.workflow.629806ce83f4a07ef11e0c76.call';
    const input = callable('exported');
    const created = await api.createWorkflow({ ...input, trigger: { ...input.trigger, eventName } });
    expect(created.trigger.eventName).toBe(eventName);
  });

  it('refuses an input schema that does not compile, at its path', async () => {
    const input = callable('bad-schema');
    const res = await h.request('POST', '/v1/workflows', {
      key,
      body: { ...input, trigger: { ...input.trigger, schema: { type: 'object', requird: ['x'] } } },
    });
    expect(res.status).toBe(400);
    expect(problems(res.body)).toEqual([{ path: 'trigger.schema', message: expect.stringContaining('requird') }]);
  });
});

describe('literal call targets', () => {
  it('accepts a target that is a callable definition of the org, and a callable definition calling itself', async () => {
    const target = await api.createWorkflow(callable('target'));
    const caller = await api.createWorkflow(callable('caller', [call('c', target.id)]));
    expect(caller.steps[0].params.workflowId).toBe(target.id);
    const self = await api.call('PUT', `/v1/workflows/${caller.id}`, { steps: [call('c', caller.id)] });
    expect(self.rev).toBe(2);
  });

  it('refuses a target that does not exist, belongs to another org, or is not callable, naming the step', async () => {
    const other = crm(h, (await h.createOrg('other')).apiKey);
    const elsewhere = await other.createWorkflow(callable('elsewhere'));
    const onEvents = await api.createWorkflow({
      name: 'on-events',
      trigger: { eventName: 'conversation.create', transitions: [{ target: 'n', condition: always }] },
      steps: [{ ...note('n'), params: { conversation: '/#steps.1.id', body: 'x' } }],
    });
    const cases: [string, RegExp][] = [
      ['no-such-workflow', /is not a workflow of this org/],
      [elsewhere.id, /is not a workflow of this org/],
      [onEvents.id, /is not callable/],
    ];
    for (const [workflowId, message] of cases) {
      const res = await h.request('POST', '/v1/workflows', { key, body: callable('caller', [call('c', workflowId)]) });
      expect(res.status, workflowId).toBe(400);
      expect(problems(res.body)).toEqual([
        { path: 'steps[0].params.workflowId', message: expect.stringMatching(message) },
      ]);
    }
  });

  it('leaves a target given as a reference to run time', async () => {
    const created = await api.createWorkflow(callable('dynamic', [call('c', '/#steps.1.next')]));
    expect(created.steps[0].params.workflowId).toBe('/#steps.1.next');
  });
});

describe('importing a chain', () => {
  it('imports an app of exports that call each other by their exported ids, rewritten to the new ids', async () => {
    const exported = [
      { id: 'kustomer-first', ...callable('first', [call('c', 'kustomer-second')]) },
      { id: 'kustomer-second', ...callable('second', [call('c', 'kustomer-second', [])]) },
    ];
    const { workflows } = await api.call('POST', '/v1/workflows/import', { workflows: exported }, 201);
    const [first, second] = workflows as { id: string; steps: { params: { workflowId: string } }[] }[];
    expect(first?.steps[0]?.params.workflowId).toBe(second?.id);
    expect(second?.steps[0]?.params.workflowId).toBe(second?.id);
    expect(second?.id).not.toBe('kustomer-second');
  });

  it("knows a callable export without id by the id in its event name (an export's kustomer.workflow.<id>.call)", async () => {
    const target = callable('named-by-event');
    const { workflows } = await api.call(
      'POST',
      '/v1/workflows/import',
      {
        workflows: [
          callable('caller', [call('c', '673e81eb496bbd0347073e76')]),
          { ...target, trigger: { ...target.trigger, eventName: 'kustomer.workflow.673e81eb496bbd0347073e76.call' } },
        ],
      },
      201,
    );
    expect(workflows[0].steps[0].params.workflowId).toBe(workflows[1].id);
    expect(workflows[1].trigger.eventName).toBe('kustomer.workflow.673e81eb496bbd0347073e76.call');
  });

  it('refuses a chain whose target is outside the import and the org, at workflows[i] paths, creating nothing', async () => {
    const before = await api.call('GET', '/v1/workflows');
    const res = await h.request('POST', '/v1/workflows/import', {
      key,
      body: { workflows: [callable('fine'), { id: 'x', ...callable('broken', [call('c', 'missing')]) }] },
    });
    expect(res.status).toBe(400);
    expect(problems(res.body)).toEqual([
      { path: 'workflows[1].steps[0].params.workflowId', message: expect.any(String) },
    ]);
    expect(await api.call('GET', '/v1/workflows')).toEqual(before);
  });
});

describe('getCallable and definitionsForEvent', () => {
  it('returns an enabled callable definition, refuses a disabled, a non-callable or a missing one', async () => {
    const created = await api.createWorkflow(callable('lookup'));
    await expect(getCallable(org, created.id)).rejects.toMatchObject({ code: 'workflow_disabled' });
    await api.call('PATCH', `/v1/workflows/${created.id}`, { enabled: true });
    expect((await getCallable(org, created.id)).rev).toBe(2);
    await expect(getCallable(org, 'missing')).rejects.toMatchObject({ code: 'not_found' });
    const plain = await api.createWorkflow({
      name: 'plain',
      trigger: { eventName: 'acme.thing', transitions: [] },
      steps: [],
    });
    await expect(getCallable(org, plain.id)).rejects.toMatchObject({ code: 'not_callable' });
    await expect(getCallable('another-org', created.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('never lists a callable definition as listening to an event, even one of its own name', async () => {
    const created = await api.createWorkflow(callable('not-on-events'));
    const input = callable('shares-a-name');
    const named = await api.createWorkflow({ ...input, trigger: { ...input.trigger, eventName: 'acme.shared' } });
    const listener = await api.createWorkflow({
      name: 'listener',
      trigger: { eventName: 'acme.shared', transitions: [] },
      steps: [],
    });
    expect(await definitionsForEvent(org, `workflow.${created.id}.call`)).toEqual([]);
    const ids = (await definitionsForEvent(org, 'kustomer.acme.shared')).map((d) => d.id);
    expect(ids).toEqual([listener.id]);
    expect(ids).not.toContain(named.id);
  });
});
