import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crm } from '../../helpers/crm';
import { startHarness, type Harness } from '../../helpers/harness';

/**
 * `POST /v1/workflows/:id/call` against the real servers: inputs checked against the trigger's schema,
 * the run's outputs answered when it finishes within `?wait=`, 202 otherwise.
 */
let h: Harness;
let api: ReturnType<typeof crm>;

/** A callable workflow that answers with its inputs, after `delay` seconds. */
async function callable(delay: number, options: { enabled?: boolean; callable?: boolean } = {}) {
  const steps = [
    { id: 'out', action: 'workflow.respond', params: { outputs: { email: '/#steps.1.input1', n: '/#steps.1.n' } } },
  ];
  const created = await api.createWorkflow({
    name: 'lookup',
    enabled: options.enabled ?? true,
    trigger: {
      ...(options.callable === false ? { eventName: 'test.not-callable' } : { callable: true }),
      schema: {
        type: 'object',
        properties: { input1: { type: 'string' }, n: { type: 'number' } },
        required: ['input1'],
      },
      transitions: [{ target: delay > 0 ? 'wait' : 'out' }],
    },
    response: { schema: { type: 'object', properties: { email: { type: 'string' } } } },
    steps:
      delay > 0
        ? [{ id: 'wait', action: 'delay', params: { duration: delay }, transitions: [{ target: 'out' }] }, ...steps]
        : steps,
  });
  return created.id as string;
}

beforeAll(async () => {
  h = await startHarness('calls');
  const created = await h.createOrg();
  api = crm(h, created.apiKey);
});
afterAll(() => h?.close());

describe('POST /v1/workflows/:id/call', () => {
  it("answers 200 with the run's outputs, and GET /v1/runs/:id shows them", async () => {
    const id = await callable(0);
    const res = await h.request('POST', `/v1/workflows/${id}/call`, {
      key: api.key,
      body: { inputs: { input1: 'input1@kustomer.com', n: 2 }, responseMeta: { webhook: 'w' } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      runId: expect.any(String),
      status: 'completed',
      outputs: { email: 'input1@kustomer.com', n: 2 },
      responseMeta: { webhook: 'w' },
    });
    const run = await api.call('GET', `/v1/runs/${res.body.runId}`);
    expect(run).toMatchObject({ workflow: id, status: 'completed', outputs: { email: 'input1@kustomer.com', n: 2 } });
    expect(run.steps[0].output).toEqual({ input1: 'input1@kustomer.com', n: 2 });
  });

  it('answers 202 with the run id at once with wait=0, and the run finishes', async () => {
    const id = await callable(2);
    const res = await h.request('POST', `/v1/workflows/${id}/call?wait=0`, {
      key: api.key,
      body: { inputs: { input1: 'a@b.c' } },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ runId: expect.any(String), status: 'running' });
    const run = await h.waitForRun(api.key, res.body.runId);
    expect(run.outputs).toEqual({ email: 'a@b.c' });
  });

  it('answers 202 when the run takes longer than ?wait=', async () => {
    const id = await callable(3);
    const res = await h.request('POST', `/v1/workflows/${id}/call?wait=1`, {
      key: api.key,
      body: { inputs: { input1: 'slow@b.c' } },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ runId: expect.any(String), status: 'running' });
    expect((await h.waitForRun(api.key, res.body.runId)).outputs).toEqual({ email: 'slow@b.c' });
  });

  it('is called by a workflow.call step of another workflow, as a child run listed with its own id', async () => {
    const id = await callable(0);
    const { id: parent } = await api.createWorkflow({
      name: 'caller',
      enabled: true,
      trigger: { eventName: 'order.check', transitions: [{ target: 'ask' }] },
      steps: [
        { id: 'ask', action: 'workflow.call', params: { workflowId: id, inputs: { input1: '/#steps.1.email' } } },
      ],
    });
    const posted = await api.call('POST', '/v1/events', { name: 'order.check', data: { email: 'p@q.r' } }, 202);
    expect(posted.runs).toEqual([{ id: expect.any(String), workflow: parent }]);
    const run = await h.waitForRun(api.key, posted.runs[0].id);
    expect(run.status).toBe('completed');
    expect(run.steps[1]).toMatchObject({ id: 'ask', status: 'completed', output: { email: 'p@q.r' } });
    const child = await h.waitForRun(api.key, `${parent}-${posted.eventId}-call-ask`);
    expect(child).toMatchObject({ workflow: id, status: 'completed', outputs: { email: 'p@q.r' } });
  });

  it('refuses inputs that break the schema with 400 and their paths', async () => {
    const id = await callable(0);
    const res = await h.request('POST', `/v1/workflows/${id}/call`, {
      key: api.key,
      body: { inputs: { n: 'two' } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['inputs.input1', 'inputs.n']);
  });

  it('starts one run per Idempotency-Key, and refuses the key with other inputs', async () => {
    const id = await callable(0);
    const call = (inputs: unknown) =>
      h.request('POST', `/v1/workflows/${id}/call`, {
        key: api.key,
        body: { inputs },
        headers: { 'idempotency-key': 'order-7' },
      });
    const first = await call({ input1: 'x@y.z' });
    const again = await call({ input1: 'x@y.z' });
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const other = await call({ input1: 'other@y.z' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  it('refuses a disabled workflow and one that is not callable with 409, an unknown one with 404', async () => {
    const disabled = await callable(0, { enabled: false });
    const notCallable = await callable(0, { callable: false });
    const body = { inputs: { input1: 'a@b.c' } };
    const off = await h.request('POST', `/v1/workflows/${disabled}/call`, { key: api.key, body });
    expect([off.status, off.body.error.code]).toEqual([409, 'workflow_disabled']);
    const plain = await h.request('POST', `/v1/workflows/${notCallable}/call`, { key: api.key, body });
    expect([plain.status, plain.body.error.code]).toEqual([409, 'not_callable']);
    const missing = await h.request('POST', '/v1/workflows/nope/call', { key: api.key, body });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'not_found']);
  });
});
