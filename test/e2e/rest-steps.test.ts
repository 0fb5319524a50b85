import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { always, crm } from '../helpers/crm';
import { startHarness, type Harness } from '../helpers/harness';
import { listen, listenRoutes, type Handler, type LocalServer } from '../helpers/local-server';

/*
 * REST steps end to end: a callable workflow whose REST step calls a real local server, run through the API
 * against the real Temporal and database servers. The harness allows 127.0.0.1 and localhost
 * (OUTBOUND_ALLOW_HOSTS); 127.0.0.2 stands for a destination the policy refuses.
 */

const SECRET = 'sk_live_9f8e7d6c5b4a-never-shown';
const CORPUS = path.join(__dirname, '..', '..', '..', 'shared', 'corpus', 'kustomer');
const MAQUENDI = path.join(CORPUS, 'workflow-Maquendi-kustomer-apps-configurer-example.workflow1.json');
const MAX_BYTES = 5000;

describe('REST steps', () => {
  let h: Harness;
  let api: ReturnType<typeof crm>;
  let local: LocalServer & { routes: Map<string, Handler> };
  let refused: LocalServer;
  const logs: string[] = [];

  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    h = await startHarness(
      'rest-steps',
      { LOG_LEVEL: 'debug', OUTBOUND_MAX_RESPONSE_BYTES: String(MAX_BYTES) },
      { logStream },
    );
    api = crm(h, (await h.createOrg('rest')).apiKey);
    local = await listenRoutes('127.0.0.1');
    refused = await listen('127.0.0.2', (_req, res) => res.end('never'));
  });
  afterAll(async () => {
    await local?.close();
    await refused?.close();
    await h?.close();
  });

  /** A callable workflow: the REST step `call` (params given), then respond with its status and body. */
  async function restWorkflow(params: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    return api.createWorkflow({
      name: `rest ${Math.random()}`,
      enabled: true,
      trigger: { callable: true, transitions: [{ target: 'call', condition: always }] },
      steps: [
        {
          id: 'call',
          action: 'kustomer.rest-api.json',
          params,
          transitions: [{ target: 'answer', condition: always }],
          ...extra,
        },
        {
          id: 'answer',
          action: 'workflow.respond',
          params: { outputs: { status: '/#steps.call.response.statusCode', body: '/#steps.call.body' } },
        },
      ],
    });
  }

  async function runOf(workflowId: string) {
    const res = await h.request('POST', `/v1/workflows/${workflowId}/call?wait=60`, {
      key: api.key,
      body: { inputs: {} },
    });
    expect([200, 202], JSON.stringify(res.body)).toContain(res.status);
    return h.waitForRun(api.key, res.body.runId as string);
  }

  const stepOf = (run: { steps: { id: string }[] }, id: string) => run.steps.find((s) => s.id === id) as any; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('retries 503 (after Retry-After) with the same Idempotency-Key, then returns the 200', async () => {
    let calls = 0;
    local.routes.set('/flaky', (_req, res) => {
      calls += 1;
      if (calls <= 2) return res.writeHead(503, { 'Retry-After': '1' }).end('busy');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, n: calls }));
    });
    const before = local.hits.length;
    const wf = await restWorkflow({ uri: `${local.url}/flaky`, method: 'POST', data: { order: 42 } });
    const run = await runOf(wf.id);
    expect(run.status).toBe('completed');
    expect(run.outputs).toEqual({ status: 200, body: { ok: true, n: 3 } });
    const hits = local.hits.slice(before);
    expect(hits).toHaveLength(3);
    const keys = hits.map((hit) => hit.headers['idempotency-key']);
    expect(keys[0]).toBe(`${run.id}:call`);
    expect(new Set(keys).size).toBe(1);
    expect(hits.map((hit) => JSON.parse(hit.body))).toEqual([{ order: 42 }, { order: 42 }, { order: 42 }]);
    expect(hits[0]!.headers['content-type']).toBe('application/json');
    // The harness's back-off is 100-500 ms: gaps of a second are the server's Retry-After.
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(950);
    expect(hits[2]!.at - hits[1]!.at).toBeGreaterThanOrEqual(950);
  });

  it('returns a 404 as output, so the workflow branches on statusCode; failOn4xx fails the step', async () => {
    local.routes.set('/missing', (_req, res) =>
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"code":"no_such_client"}'),
    );
    const wf = await api.createWorkflow({
      name: 'branch on 404',
      enabled: true,
      trigger: { callable: true, transitions: [{ target: 'call', condition: always }] },
      steps: [
        {
          id: 'call',
          action: 'kustomer.rest-api.json',
          params: { uri: `${local.url}/missing`, method: 'GET', json: true, qs: { id: 'c-1', tag: ['a', 'b'] } },
          transitions: [
            { target: 'missing', condition: { op: 'eq', values: ['/#steps.call.response.statusCode', 404] } },
            { target: 'found', condition: always },
          ],
        },
        {
          id: 'missing',
          action: 'workflow.respond',
          params: { outputs: { branch: 'missing', code: '/#steps.call.body.code' } },
        },
        { id: 'found', action: 'workflow.respond', params: { outputs: { branch: 'found' } } },
      ],
    });
    const before = local.hits.length;
    const run = await runOf(wf.id);
    expect(run.outputs).toEqual({ branch: 'missing', code: 'no_such_client' });
    expect(local.hits.slice(before).map((hit) => hit.url)).toEqual(['/missing?id=c-1&tag=a&tag=b']);

    const strict = await restWorkflow({ uri: `${local.url}/missing`, failOn4xx: true });
    const failed = await runOf(strict.id);
    expect(failed.status).toBe('failed');
    expect(stepOf(failed, 'call').error).toEqual({ code: 'http_4xx', message: expect.stringContaining('HTTP 404') });
  });

  it('times out a server that does not answer, retries, then fails the step with timeout', async () => {
    local.routes.set('/hang', () => undefined);
    const before = local.hits.length;
    const wf = await restWorkflow({ uri: `${local.url}/hang`, timeout: 300 });
    const run = await runOf(wf.id);
    expect(run.status).toBe('failed');
    expect(stepOf(run, 'call').error.code).toBe('timeout');
    expect(local.hits.length - before).toBe(3); // ACTIVITY_MAX_ATTEMPTS in the harness
  });

  it('refuses a destination outside the policy, and a redirect to one, without retrying or reaching it', async () => {
    const direct = await runOf((await restWorkflow({ uri: `${refused.url}/x` })).id);
    expect(direct.status).toBe('failed');
    expect(stepOf(direct, 'call').error).toEqual({
      code: 'destination_refused',
      message: expect.stringContaining('127.0.0.2 is a loopback address'),
    });

    local.routes.set('/bounce', (_req, res) => res.writeHead(302, { Location: `${refused.url}/y` }).end());
    const before = local.hits.length;
    const redirected = await runOf((await restWorkflow({ uri: `${local.url}/bounce` })).id);
    expect(stepOf(redirected, 'call').error.code).toBe('destination_refused');
    expect(local.hits.length - before).toBe(1); // not retried
    expect(refused.hits).toHaveLength(0);
  });

  it('fails a response over OUTBOUND_MAX_RESPONSE_BYTES with response_too_large, not retried', async () => {
    local.routes.set('/huge', (_req, res) => res.end('z'.repeat(MAX_BYTES * 2)));
    const before = local.hits.length;
    const run = await runOf((await restWorkflow({ uri: `${local.url}/huge` })).id);
    expect(stepOf(run, 'call').error).toEqual({
      code: 'response_too_large',
      message: expect.stringContaining(`${MAX_BYTES} bytes`),
    });
    expect(local.hits.length - before).toBe(1);
  });

  it('sends a secret variable, and keeps its value out of the run, the logs and the Temporal history', async () => {
    const secret = await api.call('POST', '/v1/variables', { name: 'partnerToken', value: SECRET, secret: true }, 201);
    const id = '63da823147407a231b1bbfce';
    await api.call('POST', '/v1/variables', { id, name: 'partnerBase', value: local.url, secret: false }, 201);
    // The server echoes what it got, the Authorization header included, and fails the first time with it too.
    let calls = 0;
    local.routes.set('/echo', (req, res) => {
      calls += 1;
      if (calls === 1) return res.writeHead(500).end(`bad token ${String(req.headers.authorization)}`);
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Seen': String(req.headers.authorization) });
      res.end(JSON.stringify({ authorization: req.headers.authorization }));
    });
    const before = local.hits.length;
    const wf = await restWorkflow({
      uri: `{{{variables.${id}}}}/echo`,
      headers: { Authorization: 'Bearer {{{variables.partnerToken}}}' },
    });
    logs.length = 0;
    const run = await runOf(wf.id);
    expect(run.status).toBe('completed');
    // The server got the value...
    expect(local.hits.slice(before).map((hit) => hit.headers.authorization)).toEqual([
      `Bearer ${SECRET}`,
      `Bearer ${SECRET}`,
    ]);
    // ...the run shows the marker as input and [secret] in the output.
    const step = stepOf(run, 'call');
    expect(step.input.headers.Authorization).toMatch(/^Bearer ⟨variables\.partnerToken:[0-9a-f]{16}⟩$/);
    expect(step.output.body).toEqual({ authorization: 'Bearer [secret]' });
    expect(step.output.response.headers['x-seen']).toBe('Bearer [secret]');
    expect(run.outputs.body).toEqual({ authorization: 'Bearer [secret]' });
    // Not in GET /v1/runs/:id...
    expect(JSON.stringify(run)).not.toContain(SECRET);
    // ...nor in the workflow's history (inputs, results, the first attempt's failure)...
    const history = await h.client.workflow.getHandle(run.id).fetchHistory();
    // Payloads are base64 in the history's JSON: decoded, so that the search sees what they carry.
    const historyJson = JSON.stringify(history, (key, v: unknown) =>
      key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
    );
    expect(historyJson).toContain('⟨variables.partnerToken:');
    expect(historyJson).toContain('Bearer [secret]');
    expect(historyJson).not.toContain(SECRET);
    // ...nor in the worker's logs, which did log the step (at debug level, with the masked failure).
    const logText = logs.join('');
    expect(logText).toContain('"step":"call"');
    expect(logText).toContain('bad token Bearer [secret]');
    expect(logText).not.toContain(SECRET);
    expect(secret).not.toHaveProperty('value');
  });

  it('fails a step naming a variable the org does not have, not retried, with variable_not_found', async () => {
    const before = local.hits.length;
    const run = await runOf(
      (await restWorkflow({ uri: `${local.url}/x`, headers: { 'X-Key': '{{{variables.nope}}}' } })).id,
    );
    expect(stepOf(run, 'call').error).toEqual({
      code: 'variable_not_found',
      message: expect.stringContaining('"nope"'),
    });
    expect(local.hits.length).toBe(before);
  });

  // The corpus export as it is: a form hook trigger, REST steps with {{{variables.<id>}}} in uri and headers,
  // branching on the response body, writing the answer to the customer.
  it.skipIf(!existsSync(MAQUENDI))('runs the Maquendi corpus workflow against the local server', async () => {
    // An org of its own: the variable ids are the export's, and the secret test above uses one of them.
    const api = crm(h, (await h.createOrg('maquendi')).apiKey);
    const imported = await api.call('POST', '/v1/workflows/import', JSON.parse(readFileSync(MAQUENDI, 'utf8')), 201);
    const wf = imported.workflows[0];
    await api.call('PATCH', `/v1/workflows/${wf.id}`, { enabled: true });
    for (const [id, name, value, secret] of [
      ['63d19ecab24da0e2e2268462', 'coBase', local.url, false],
      ['63d9665d8741fba7269516af', 'brBase', local.url, false],
      ['63da823147407a231b1bbfce', 'basicAuth', 'dXNlcjpwYXNz-maquendi', true],
    ] as const) {
      await api.call('POST', '/v1/variables', { id, name, value, secret }, 201);
    }
    local.routes.set('/clients/ext-7/invoice/reference/REF-9', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          businessAgreementCode: 'BA-1',
          paymentIntentionIdentifier: 'PIN-42',
          expirationDate: '2027-01-31',
          amount: 120,
        }),
      );
    });
    const customer = await api.createCustomer({ name: 'Ana', externalId: 'ext-7' });
    const before = local.hits.length;
    // The export's form hook, created with its exported id, receives the form as a browser would post it.
    const hook = await api.call(
      'POST',
      '/v1/hooks',
      { type: 'form', name: 'payment', id: '63d19dea07506a356d06d3e6' },
      201,
    );
    const form = await fetch(hook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        'customer[id]': customer.id,
        'customer[externalId]': 'ext-7',
        'customer[custom][selectCountryStr]': 'CO',
        'customer[custom][referenceStr]': 'REF-9',
      }),
    });
    expect(form.status).toBe(202);
    const event = (await form.json()) as { runs: [{ id: string; workflow: string }] };
    expect(event.runs).toEqual([{ id: expect.any(String), workflow: wf.id }]);
    const run = await h.waitForRun(api.key, event.runs[0].id);
    expect(run.status, JSON.stringify(run.steps.map((s: { id: string; error: unknown }) => [s.id, s.error]))).toBe(
      'completed',
    );
    const hits = local.hits.slice(before);
    expect(hits.map((hit) => [hit.method, hit.url, hit.headers.authorization])).toEqual([
      ['GET', '/clients/ext-7/invoice/reference/REF-9', 'Basic dXNlcjpwYXNz-maquendi'],
    ]);
    const updated = await api.call('GET', `/v1/customers/${customer.id}`);
    expect(updated.custom).toMatchObject({ loadingBool: false, amountNum: 120, referenceIdEditableBool: false });
    expect(updated.custom.generatedTxt).toContain('Pin=PIN-42');
    expect(JSON.stringify(run)).not.toContain('dXNlcjpwYXNz-maquendi');
  });
});
