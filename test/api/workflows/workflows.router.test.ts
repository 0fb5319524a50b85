import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { always, crm } from '../../helpers/crm';
import { startHarness, type Harness } from '../../helpers/harness';

/**
 * The API contract (README "API") for orgs, auth, health and workflows, end to end against the
 * real servers. The harness runs with a plan limit of 2 active workflows; every describe uses orgs
 * of its own, so the limit only bites where a test means it to.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness('api-workflows', { MAX_ACTIVE_WORKFLOWS: '2' });
});
afterAll(() => h?.close());

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(path.resolve(__dirname, '../../fixtures/definitions', name), 'utf8'));

/** A small valid workflow; `overrides` replace its top-level keys. */
function workflow(overrides: Record<string, unknown> = {}) {
  return {
    name: 'tag-new-conversations',
    description: 'tags every new conversation',
    meta: { owner: 'support' },
    trigger: { eventName: 'kustomer.conversation.create', transitions: [{ target: 'tag', condition: always }] },
    steps: [{ id: 'tag', action: 'kustomer.conversation.append-tags', params: { id: '/#steps.1.id', tags: ['new'] } }],
    ...overrides,
  };
}

function expectErrorEnvelope(body: unknown, code: string) {
  expect(body).toEqual({
    error: { code, message: expect.any(String), details: expect.any(Array) },
  });
}

const paths = (body: { error: { details: { path: string }[] } }) => body.error.details.map((d) => d.path).sort();

describe('GET /healthz', () => {
  it('answers 200 {status: ok} when MongoDB, Temporal and a worker are up', async () => {
    const res = await h.request('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describe('auth', () => {
  it('rejects /v1 routes without a key or with an unknown key with 401 and the error envelope', async () => {
    for (const key of [undefined, 'sk_not-a-real-key', h.rootKey]) {
      const res = await h.request('GET', '/v1/workflows', { key });
      expect(res.status, `key ${key}`).toBe(401);
      expectErrorEnvelope(res.body, 'unauthorized');
      expect(res.body.error.details).toEqual([]);
    }
    const malformed = await h.request('GET', '/v1/customers/x', { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
  });

  it('creates orgs only with the root key', async () => {
    const { apiKey } = await h.createOrg('other');
    for (const key of [undefined, 'wrong', apiKey]) {
      const res = await h.request('POST', '/v1/orgs', { key, body: { name: 'sneaky' } });
      expect(res.status, `key ${key}`).toBe(401);
      expectErrorEnvelope(res.body, 'unauthorized');
    }
    const res = await h.request('POST', '/v1/orgs', { key: h.rootKey, body: { name: 'Acme Inc' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), name: 'Acme Inc', apiKey: expect.any(String) });
    expect(res.body.apiKey).not.toBe(apiKey);
    expect((await h.request('GET', '/v1/workflows', { key: res.body.apiKey })).body).toEqual({ workflows: [] });
  });

  it('rejects an org without a name with a validation error', async () => {
    const res = await h.request('POST', '/v1/orgs', { key: h.rootKey, body: { name: '' } });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(['name']);
  });
});

describe('workflows CRUD', () => {
  let api: ReturnType<typeof crm>;
  let key: string;
  beforeAll(async () => {
    key = (await h.createOrg('crud')).apiKey;
    api = crm(h, key);
  });

  it('creates a disabled workflow at rev 1 with its definition, then lists and reads it', async () => {
    const created = await api.createWorkflow(workflow());
    expect(created).toMatchObject({
      id: expect.any(String),
      rev: 1,
      enabled: false,
      name: 'tag-new-conversations',
      description: 'tags every new conversation',
      meta: { owner: 'support' },
      trigger: { id: '1', eventName: 'kustomer.conversation.create' },
      steps: [
        { id: 'tag', action: 'kustomer.conversation.append-tags', params: { id: '/#steps.1.id', tags: ['new'] } },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await api.call('GET', `/v1/workflows/${created.id}`)).toEqual(created);
    const { workflows } = await api.call('GET', '/v1/workflows');
    expect(workflows.map((w: { id: string }) => w.id)).toContain(created.id);
  });

  it('PUT with only steps keeps name and trigger and increments rev', async () => {
    const created = await api.createWorkflow(workflow());
    const steps = [{ id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.id', tags: ['fresh'] } }];
    const updated = await api.call('PUT', `/v1/workflows/${created.id}`, { steps });
    expect(updated).toMatchObject({ id: created.id, rev: 2, name: created.name, trigger: created.trigger, steps });
    expect(await api.call('GET', `/v1/workflows/${created.id}`)).toMatchObject({ rev: 2, steps });
    const renamed = await api.call('PUT', `/v1/workflows/${created.id}`, { name: 'renamed' });
    expect(renamed).toMatchObject({ rev: 3, name: 'renamed', steps });
  });

  it('concurrent PUTs never lose a save: each one either lands (rev + 1) or answers 409', async () => {
    const created = await api.createWorkflow(workflow());
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) =>
        h.request('PUT', `/v1/workflows/${created.id}`, { key, body: { description: `writer ${n}` } }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const landed = statuses.filter((s) => s === 200).length;
    expect(landed).toBeGreaterThanOrEqual(1);
    const stored = await api.call('GET', `/v1/workflows/${created.id}`);
    expect(stored.rev).toBe(1 + landed);
    for (const conflict of results.filter((r) => r.status === 409)) {
      expect(conflict.body.error.code).toBe('concurrent_update');
    }
  });

  it('PUT that makes the workflow invalid answers 400 and leaves the stored one unchanged', async () => {
    const created = await api.createWorkflow(workflow());
    const res = await h.request('PUT', `/v1/workflows/${created.id}`, {
      key,
      body: {
        steps: [{ id: 'other', action: 'conversation.append-tags', params: { id: '/#steps.1.id', tags: ['x'] } }],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(paths(res.body)).toContain('trigger.transitions[0].target');
    expect(await api.call('GET', `/v1/workflows/${created.id}`)).toEqual(created);
    const notObject = await h.request('PUT', `/v1/workflows/${created.id}`, { key, body: [1] });
    expect(notObject.status).toBe(400);
  });

  it('PATCH {enabled} toggles the workflow', async () => {
    const created = await api.createWorkflow(workflow());
    const enabled = await api.call('PATCH', `/v1/workflows/${created.id}`, { enabled: true });
    expect(enabled).toMatchObject({ id: created.id, enabled: true, rev: 2 });
    expect((await api.call('GET', `/v1/workflows/${created.id}`)).enabled).toBe(true);
    expect((await api.call('PATCH', `/v1/workflows/${created.id}`, { enabled: false })).enabled).toBe(false);
    const bad = await h.request('PATCH', `/v1/workflows/${created.id}`, { key, body: { enabled: 'yes', name: 'x' } });
    expect(bad.status).toBe(400);
    expect(paths(bad.body)).toEqual(['$', 'enabled']);
  });

  it('DELETE answers 204, then the workflow is gone', async () => {
    const created = await api.createWorkflow(workflow());
    const res = await h.request('DELETE', `/v1/workflows/${created.id}`, { key });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    for (const [method, suffix] of [
      ['GET', ''],
      ['DELETE', ''],
      ['GET', '/export'],
    ]) {
      const gone = await h.request(method!, `/v1/workflows/${created.id}${suffix}`, { key });
      expect(gone.status).toBe(404);
      expectErrorEnvelope(gone.body, 'not_found');
    }
    const { workflows } = await api.call('GET', '/v1/workflows');
    expect(workflows.map((w: { id: string }) => w.id)).not.toContain(created.id);
  });

  it('accepts event and action names with and without the kustomer. prefix', async () => {
    for (const prefix of ['', 'kustomer.']) {
      const created = await api.createWorkflow(
        workflow({
          trigger: { eventName: `${prefix}customer.create`, transitions: [{ target: 'a' }] },
          steps: [
            { id: 'a', action: `${prefix}customer.update`, params: { id: '/#steps.1.id', custom: { seen: true } } },
          ],
        }),
      );
      expect(created.trigger.eventName).toBe(`${prefix}customer.create`);
      expect(created.steps[0].action).toBe(`${prefix}customer.update`);
    }
  });
});

describe('workflow validation', () => {
  let api: ReturnType<typeof crm>;
  let key: string;
  beforeAll(async () => {
    key = (await h.createOrg('validation')).apiKey;
    api = crm(h, key);
  });

  it('answers 400 with every problem and its path, and stores nothing', async () => {
    const before = await api.call('GET', '/v1/workflows');
    const res = await h.request('POST', '/v1/workflows', {
      key,
      body: workflow({
        trigger: { eventName: 'conversation.create', transitions: [{ target: 'a' }, { target: 'nowhere' }] },
        steps: [
          {
            id: 'a',
            action: 'conversation.update',
            params: { id: '/#steps.1.id', priority: 9 },
            transitions: [{ target: 'b' }],
          },
          { id: 'b', action: 'conversation.explode', transitions: [{ target: 'a' }] },
        ],
      }),
    });
    expect(res.status).toBe(400);
    expectErrorEnvelope(res.body, 'validation_error');
    expect(paths(res.body)).toEqual([
      'steps[0].params.priority',
      'steps[1].action',
      'steps[1].transitions[0].target',
      'trigger.transitions[1].target',
    ]);
    for (const detail of res.body.error.details) expect(detail.message).toEqual(expect.any(String));
    expect(await api.call('GET', '/v1/workflows')).toEqual(before);
  });

  it('reports schema problems with paths', async () => {
    const res = await h.request('POST', '/v1/workflows', {
      key,
      body: {
        name: '',
        trigger: { eventName: 'customer.create' },
        steps: [{ id: 'a', transitions: [{ target: 'b', condition: { op: 'like' } }] }],
      },
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(['name', 'steps[0].transitions[0].condition.op']);
  });

  it('answers 400 invalid_json for a malformed body', async () => {
    const res = await h.request('POST', '/v1/workflows', { key, body: '{"name": "x",' });
    expect(res.status).toBe(400);
    expectErrorEnvelope(res.body, 'invalid_json');
    expect(await api.call('GET', '/v1/workflows')).toEqual({ workflows: [] });
  });
});

describe('export and import', () => {
  let api: ReturnType<typeof crm>;
  let key: string;
  beforeAll(async () => {
    key = (await h.createOrg('import')).apiKey;
    api = crm(h, key);
  });

  it('exports the definition, which imports back as an equivalent workflow with a new id', async () => {
    const created = await api.createWorkflow(workflow({ name: 'exported' }));
    const exported = await api.call('GET', `/v1/workflows/${created.id}/export`);
    expect(exported).toEqual({
      name: 'exported',
      description: created.description,
      enabled: false,
      meta: created.meta,
      trigger: created.trigger,
      steps: created.steps,
    });
    const { workflows } = await api.call('POST', '/v1/workflows/import', exported, 201);
    expect(workflows).toHaveLength(1);
    expect(workflows[0].id).not.toBe(created.id);
    expect(workflows[0]).toMatchObject({ rev: 1, name: 'exported', trigger: created.trigger, steps: created.steps });
  });

  it('imports an app definition {workflows: [...]} and returns what it created', async () => {
    const { workflows } = await api.call(
      'POST',
      '/v1/workflows/import',
      { workflows: [workflow({ name: 'first' }), workflow({ name: 'second' })] },
      201,
    );
    expect(workflows.map((w: { name: string }) => w.name)).toEqual(['first', 'second']);
    const listed = (await api.call('GET', '/v1/workflows')).workflows.map((w: { id: string }) => w.id);
    for (const w of workflows) expect(listed).toContain(w.id);
  });

  it('creates nothing when one workflow of an app is invalid, with paths under workflows[i]', async () => {
    const before = await api.call('GET', '/v1/workflows');
    const res = await h.request('POST', '/v1/workflows/import', {
      key,
      body: { workflows: [workflow({ name: 'fine' }), workflow({ name: '', steps: [{ id: 'tag', action: 'nope' }] })] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(paths(res.body)).toEqual(['workflows[1].name']);
    const res2 = await h.request('POST', '/v1/workflows/import', {
      key,
      body: { workflows: [workflow({ name: 'fine' }), workflow({ steps: [{ id: 'tag', action: 'nope' }] })] },
    });
    expect(res2.status).toBe(400);
    expect(paths(res2.body)).toEqual(['workflows[1].steps[0].action']);
    expect(await api.call('GET', '/v1/workflows')).toEqual(before);
  });

  it('rejects an app whose workflows is not a non-empty list, at path workflows', async () => {
    for (const workflows of [[], {}, 'x']) {
      const res = await h.request('POST', '/v1/workflows/import', { key, body: { workflows } });
      expect(res.status, JSON.stringify(workflows)).toBe(400);
      expect(paths(res.body)).toEqual(['workflows']);
    }
  });

  it('imports the reference example', async () => {
    const example = fixture('closed-conversation-followup.workflow.json') as { steps: unknown[] };
    const { workflows } = await api.call('POST', '/v1/workflows/import', example, 201);
    expect(workflows[0]).toMatchObject({
      name: 'closed-conversation-followup',
      enabled: true,
      rev: 1,
      steps: example.steps,
    });
  });
});

describe('plan limit (MAX_ACTIVE_WORKFLOWS=2)', () => {
  it('lets exactly two of five simultaneous enables through', async () => {
    const key = (await h.createOrg('limit-race')).apiKey;
    const api = crm(h, key);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.createWorkflow(workflow())).id);
    const results = await Promise.all(
      ids.map((id) => h.request('PATCH', `/v1/workflows/${id}`, { key, body: { enabled: true } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 409, 409, 409]);
    const { workflows } = await api.call('GET', '/v1/workflows');
    expect(workflows.filter((w: { enabled: boolean }) => w.enabled)).toHaveLength(2);
  });

  it('answers 409 plan_limit when enabling past the limit; disabled workflows do not count', async () => {
    const key = (await h.createOrg('limits')).apiKey;
    const api = crm(h, key);
    const [a, b, c] = [
      await api.createWorkflow(workflow()),
      await api.createWorkflow(workflow()),
      await api.createWorkflow(workflow()),
    ];
    await api.call('PATCH', `/v1/workflows/${a.id}`, { enabled: true });
    await api.call('PATCH', `/v1/workflows/${b.id}`, { enabled: true });
    const third = await h.request('PATCH', `/v1/workflows/${c.id}`, { key, body: { enabled: true } });
    expect(third.status).toBe(409);
    expectErrorEnvelope(third.body, 'plan_limit');
    expect((await api.call('GET', `/v1/workflows/${c.id}`)).enabled).toBe(false);

    const viaPut = await h.request('PUT', `/v1/workflows/${c.id}`, { key, body: { enabled: true } });
    expect(viaPut.status).toBe(409);
    const created = await h.request('POST', '/v1/workflows', { key, body: workflow({ enabled: true }) });
    expect(created.status).toBe(409);
    expect(created.body.error.code).toBe('plan_limit');
    const imported = await h.request('POST', '/v1/workflows/import', { key, body: workflow({ enabled: true }) });
    expect(imported.status).toBe(409);
    expect((await api.call('GET', '/v1/workflows')).workflows).toHaveLength(3);

    // Re-enabling an enabled one is not "another" workflow; disabling one frees a slot.
    expect((await api.call('PATCH', `/v1/workflows/${a.id}`, { enabled: true })).rev).toBe(2);
    await api.call('PATCH', `/v1/workflows/${a.id}`, { enabled: false });
    expect((await api.call('PATCH', `/v1/workflows/${c.id}`, { enabled: true })).enabled).toBe(true);
    await api.call('DELETE', `/v1/workflows/${b.id}`, undefined, 204);
    expect((await api.createWorkflow(workflow({ enabled: true }))).enabled).toBe(true);
  });

  it('counts per org', async () => {
    const api = crm(h, (await h.createOrg('limits-other')).apiKey);
    expect((await api.createWorkflow(workflow({ enabled: true }))).enabled).toBe(true);
    expect((await api.createWorkflow(workflow({ enabled: true }))).enabled).toBe(true);
  });
});
