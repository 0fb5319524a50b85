import { gzipSync } from 'node:zlib';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crm } from '../../helpers/crm';
import { eventually, startHarness, type Harness } from '../../helpers/harness';

/**
 * Inbound hooks end to end: the real API and worker on the Temporal dev server and the database. A hook's
 * request is sent as a sender would (fetch to the API's own 127.0.0.1 port), and a workflow listening to the
 * hook's event reads the body at `/#steps.1.attributes.data`. The grace of a rotated secret and the rate limit
 * are set small so that the tests are quick.
 */

const GRACE_MS = 1500;
const BURST = 4;

let h: Harness;
let key: string;
let api: ReturnType<typeof crm>;

beforeAll(async () => {
  h = await startHarness('hooks', {
    HOOK_SECRET_GRACE_MS: String(GRACE_MS),
    HOOK_RATE_BURST: String(BURST),
    HOOK_RATE_PER_SECOND: '0.5',
    HOOKS_EMAIL_DOMAIN: 'in.example.test',
  });
  key = (await h.createOrg('hooks')).apiKey;
  api = crm(h, key);
});
afterAll(() => h?.close());

interface Hook {
  id: string;
  type: string;
  eventName: string;
  url: string;
  secret: string;
  address?: string;
}

async function createHook(type: 'web' | 'form' | 'email', extra: Record<string, unknown> = {}): Promise<Hook> {
  return (await api.call('POST', '/v1/hooks', { type, name: `${type} hook`, ...extra }, 201)) as Hook;
}

/** An enabled workflow on `eventName` that answers with what it read from the hook's body. */
async function echoWorkflow(eventName: string, outputs: Record<string, string>): Promise<string> {
  const wf = await api.createWorkflow({
    name: `echo ${eventName}`.slice(0, 200),
    enabled: true,
    trigger: { eventName, transitions: [{ target: 'out' }] },
    steps: [{ id: 'out', action: 'workflow.respond', params: { outputs } }],
  });
  return wf.id as string;
}

async function send(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Standard Webhooks headers for `payload`, signed with the package a sender would use. */
function signed(secret: string, payload: string, id: string, at = new Date()): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, payload),
  };
}

describe('POST /v1/hooks and the management routes', () => {
  it('creates each type with its event name, url and a whsec_ secret shown once; lists and gets without it', async () => {
    const web = await createHook('web');
    expect(web.id).toMatch(/^[0-9a-f]{24}$/);
    expect(web.eventName).toBe(`hooks.web.${web.id}.receive`);
    expect(web.url).toBe(`${h.url}/v1/hooks/web/${web.id}`);
    expect(web.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const form = await createHook('form');
    const orgId = (await api.call('GET', `/v1/hooks/${form.id}`)).url.split('/').at(-2);
    expect(form.url).toBe(`${h.url}/v1/hooks/form/${orgId}/${form.id}`);
    const email = await createHook('email');
    expect(email.address).toBe(`${email.id}@in.example.test`);
    expect(email.url).toBe(`${h.url}/v1/hooks/email/${email.id}`);

    const list = await h.request('GET', '/v1/hooks', { key });
    expect(list.status).toBe(200);
    const ids = (list.body.hooks as Hook[]).map((hook) => hook.id);
    expect(ids).toEqual(expect.arrayContaining([web.id, form.id, email.id]));
    const text = JSON.stringify(list.body);
    for (const secret of [web.secret, form.secret, email.secret]) expect(text).not.toContain(secret.slice(6));
    expect(list.body.hooks.every((hook: object) => !('secret' in hook))).toBe(true);
    const one = await api.call('GET', `/v1/hooks/${web.id}`);
    expect(one).toMatchObject({ id: web.id, type: 'web', name: 'web hook', eventName: web.eventName, url: web.url });
    expect(one).not.toHaveProperty('secret');
  });

  it('refuses bad bodies with every problem, and a taken id with 409', async () => {
    const bad = await h.request('POST', '/v1/hooks', { key, body: { type: 'sms', colour: 'red', id: 'XYZ' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_error');
    const paths = (bad.body.error.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['$', 'id', 'name', 'type']);
    expect(JSON.stringify(bad.body.error.details)).toContain('colour');

    const given = await createHook('form', { id: 'aaaaaaaaaaaaaaaaaaaaaaa1' });
    expect(given.id).toBe('aaaaaaaaaaaaaaaaaaaaaaa1');
    const again = await h.request('POST', '/v1/hooks', {
      key,
      body: { type: 'web', name: 'x', id: 'aaaaaaaaaaaaaaaaaaaaaaa1' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('hook_id_taken');
    // Hook ids are global: another org cannot take it either, and does not see it.
    const other = (await h.createOrg('other')).apiKey;
    const theirs = await h.request('POST', '/v1/hooks', {
      key: other,
      body: { type: 'form', name: 'x', id: 'aaaaaaaaaaaaaaaaaaaaaaa1' },
    });
    expect(theirs.status).toBe(409);
    expect((await h.request('GET', `/v1/hooks/${given.id}`, { key: other })).status).toBe(404);
    expect((await h.request('DELETE', `/v1/hooks/${given.id}`, { key: other })).status).toBe(404);
    expect((await h.request('GET', '/v1/hooks', {})).status).toBe(401);
  });

  it('deletes a hook: its management routes and its receiving route answer 404', async () => {
    const web = await createHook('web');
    expect((await h.request('DELETE', `/v1/hooks/${web.id}`, { key })).status).toBe(204);
    expect((await h.request('GET', `/v1/hooks/${web.id}`, { key })).status).toBe(404);
    expect((await h.request('DELETE', `/v1/hooks/${web.id}`, { key })).status).toBe(404);
    const sent = await send(web.url, '{}', { authorization: `Bearer ${web.secret}` });
    expect(sent.status).toBe(404);
    expect(sent.body.error.code).toBe('not_found');
  });

  it('refuses hooks.* names on POST /v1/events: only hooks publish them', async () => {
    for (const name of ['hooks.web.aaaaaaaaaaaaaaaaaaaaaaaa.receive', 'kustomer.hooks.form.x.receive']) {
      const res = await h.request('POST', '/v1/events', { key, body: { name, data: {} } });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0]).toMatchObject({ path: 'name' });
      expect(res.body.error.details[0].message).toContain('published by inbound hooks');
    }
  });
});

describe('web hooks', () => {
  it('runs a workflow on a request signed per Standard Webhooks, with the body at attributes.data', async () => {
    const hook = await createHook('web');
    const wf = await echoWorkflow(hook.eventName, {
      order: '/#steps.1.attributes.data.order.id',
      total: '/#steps.1.attributes.data.order.total',
      delivery: '/#steps.1.attributes.deliveryId',
      hook: '/#steps.1.attributes.hook.id',
    });
    const payload = JSON.stringify({ order: { id: 'ord_1', total: 42.5 } });
    const res = await send(hook.url, payload, { ...signed(hook.secret, payload, 'msg_signed_1'), 'x-custom': 'kept' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.runs).toEqual([{ id: expect.any(String), workflow: wf }]);
    const run = await h.waitForRun(key, res.body.runs[0].id);
    expect(run.status).toBe('completed');
    expect(run.outputs).toEqual({ order: 'ord_1', total: 42.5, delivery: 'msg_signed_1', hook: hook.id });
    const trigger = run.steps[0].output;
    expect(trigger.type).toBe('hook');
    expect(trigger.attributes.hook).toEqual({ id: hook.id, type: 'web', name: 'web hook' });
    expect(Date.parse(trigger.attributes.receivedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(trigger.attributes.headers['x-custom']).toBe('kept');
    expect(trigger.attributes.headers['webhook-id']).toBe('msg_signed_1');
    expect(trigger.attributes.headers).not.toHaveProperty('webhook-signature');
    const event = await api.event(res.body.eventId);
    expect(event).toMatchObject({ name: hook.eventName, source: 'hook' });
  });

  it('refuses a forged signature, a stale or future timestamp, a wrong bearer and no credentials with 401', async () => {
    const hook = await createHook('web');
    const payload = '{"a":1}';
    const forged = signed(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, payload, 'msg_forged');
    const tampered = { ...signed(hook.secret, payload, 'msg_tampered') };
    const stale = signed(hook.secret, payload, 'msg_stale', new Date(Date.now() - 6 * 60_000));
    const future = signed(hook.secret, payload, 'msg_future', new Date(Date.now() + 6 * 60_000));
    const cases: [string, string, Record<string, string>, RegExp][] = [
      ['forged', payload, forged, /No matching signature/],
      ['tampered body', '{"a":2}', tampered, /No matching signature/],
      ['stale', payload, stale, /too old/],
      ['future', payload, future, /too new/],
      ['wrong bearer', payload, { authorization: 'Bearer whsec_nope' }, /hook secret is not valid/],
      ['none', payload, {}, /authenticate with/],
    ];
    for (const [name, body, headers, message] of cases) {
      const res = await send(hook.url, body, headers);
      expect(res.status, name).toBe(401);
      expect(res.body.error.code, name).toBe('unauthorized');
      expect(res.body.error.message, name).toMatch(message);
    }
  });

  it('starts one event and one run for a delivery id sent twice (200, same event), and 422 for another body', async () => {
    const hook = await createHook('web');
    const wf = await echoWorkflow(hook.eventName, { n: '/#steps.1.attributes.data.n' });
    const payload = '{"n":1}';
    const first = await send(hook.url, payload, signed(hook.secret, payload, 'msg_replayed'));
    expect(first.status).toBe(202);
    expect(first.body.duplicate).toBe(false);
    const second = await send(hook.url, payload, signed(hook.secret, payload, 'msg_replayed'));
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ eventId: first.body.eventId, runs: first.body.runs, duplicate: true });
    const changed = '{"n":2}';
    const other = await send(hook.url, changed, signed(hook.secret, changed, 'msg_replayed'));
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'delivery_id_reused', details: [{ path: 'data.n' }] });
    const runs = await api.finishedRuns(wf, 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await api.runsOf(wf)).toHaveLength(1);
    expect(runs[0].outputs).toEqual({ n: 1 });
  });

  it('stores one event and starts one run for the same delivery sent four times at once', async () => {
    const hook = await createHook('web');
    const wf = await echoWorkflow(hook.eventName, { n: '/#steps.1.attributes.data.n' });
    const payload = '{"n":5}';
    const headers = signed(hook.secret, payload, 'msg_concurrent');
    // Within the bucket's burst: every one of them is authenticated and taken.
    const answers = await Promise.all(Array.from({ length: BURST }, () => send(hook.url, payload, headers)));
    expect(new Set(answers.map((a) => a.body.eventId)).size).toBe(1);
    expect(answers.every((a) => a.status === 200 || a.status === 202)).toBe(true);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    await api.finishedRuns(wf, 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await api.runsOf(wf)).toHaveLength(1);
  });

  it('takes Authorization: Bearer <secret>, deduplicating by Idempotency-Key, and urlencoded bodies', async () => {
    const hook = await createHook('web');
    const wf = await echoWorkflow(hook.eventName, { name: '/#steps.1.attributes.data.name' });
    const bearer = { authorization: `Bearer ${hook.secret}`, 'idempotency-key': 'order-7' };
    const first = await send(hook.url, '{"name":"Ada"}', bearer);
    expect(first.status).toBe(202);
    const again = await send(hook.url, '{"name":"Ada"}', bearer);
    expect(again.status).toBe(200);
    expect(again.body.eventId).toBe(first.body.eventId);
    const run = await h.waitForRun(key, first.body.runs[0].id);
    expect(run.outputs).toEqual({ name: 'Ada' });
    expect(run.steps[0].output.attributes.headers).not.toHaveProperty('authorization');
    expect(JSON.stringify(run)).not.toContain(hook.secret.slice(6));
    const form = await send(hook.url, 'name=Grace', {
      authorization: `Bearer ${hook.secret}`,
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(202);
    expect((await h.waitForRun(key, form.body.runs[0].id)).outputs).toEqual({ name: 'Grace' });
    expect(await api.runsOf(wf)).toHaveLength(2);
  });

  it('keeps the old secret working within the grace period after a rotation, and not after', async () => {
    const hook = await createHook('web');
    const rotated = await api.call('POST', `/v1/hooks/${hook.id}/rotate-secret`);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(hook.secret);
    expect(Date.parse(rotated.previousSecretExpiresAt)).toBeGreaterThan(Date.now());
    expect((await send(hook.url, '{}', { authorization: `Bearer ${hook.secret}` })).status).toBe(202);
    const payload = '{"v":"old"}';
    expect((await send(hook.url, payload, signed(hook.secret, payload, 'msg_old_secret'))).status).toBe(202);
    expect((await send(hook.url, '{}', { authorization: `Bearer ${rotated.secret}` })).status).toBe(202);
    await new Promise((r) => setTimeout(r, Date.parse(rotated.previousSecretExpiresAt) - Date.now() + 100));
    expect((await send(hook.url, '{}', { authorization: `Bearer ${hook.secret}` })).status).toBe(401);
    expect((await send(hook.url, payload, signed(hook.secret, payload, 'msg_old_after'))).status).toBe(401);
    const now = await send(hook.url, payload, signed(rotated.secret, payload, 'msg_new_after'));
    expect(now.status).toBe(202);
    expect((await api.call('GET', `/v1/hooks/${hook.id}`)).previousSecretExpiresAt).toBeNull();
  });
});

describe('form hooks', () => {
  it('runs on urlencoded fields (nested names) posted without credentials, the URL being the credential', async () => {
    const hook = await createHook('form');
    await echoWorkflow(hook.eventName, {
      country: '/#steps.1.attributes.data.customer.custom.selectCountryStr',
      tags: '/#steps.1.attributes.data.tag',
    });
    const body = 'customer%5Bcustom%5D%5BselectCountryStr%5D=CO&tag=a&tag=b';
    const res = await send(hook.url, body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect((await h.waitForRun(key, res.body.runs[0].id)).outputs).toEqual({ country: 'CO', tags: ['a', 'b'] });
    // Another org's id in the URL: no such hook. A wrong secret offered: refused.
    const elsewhere = hook.url.replace(/form\/[^/]+\//, 'form/ffffffffffffffffffffffff/');
    expect((await send(elsewhere, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(404);
    expect((await send(hook.url, '{}', { authorization: 'Bearer whsec_wrong' })).status).toBe(401);
  });

  it("answers a browser's CORS preflight and lets a page on any site post JSON; web hooks stay server-only", async () => {
    const hook = await createHook('form');
    await echoWorkflow(hook.eventName, { name: '/#steps.1.attributes.data.name' });
    const origin = 'https://shop.example.com';
    const preflight = await fetch(hook.url, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,idempotency-key');
    const res = await send(hook.url, '{"name":"Lin"}', { origin, 'content-type': 'application/json' });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect((await h.waitForRun(key, res.body.runs[0].id)).outputs).toEqual({ name: 'Lin' });
    // A refusal carries the header too, so the page can read why.
    const missing = await send(hook.url.replace(/[0-9a-f]{24}$/, 'ffffffffffffffffffffffff'), '{}', { origin });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    const web = await createHook('web');
    const fromPage = await send(web.url, '{}', { origin, authorization: `Bearer ${web.secret}` });
    expect(fromPage.status).toBe(202);
    expect(fromPage.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('runs on a multipart form: fields as data, files as metadata only', async () => {
    const hook = await createHook('form');
    await echoWorkflow(hook.eventName, {
      email: '/#steps.1.attributes.data.email',
      files: '/#steps.1.attributes.files',
    });
    const form = new FormData();
    form.append('email', 'ada@example.com');
    form.append('resume', new Blob([Buffer.alloc(1234, 0xff)], { type: 'application/pdf' }), 'cv.pdf');
    const res = await fetch(hook.url, { method: 'POST', body: form });
    const body = (await res.json()) as { runs: { id: string }[] };
    expect(res.status, JSON.stringify(body)).toBe(202);
    const run = await h.waitForRun(key, body.runs[0]!.id);
    expect(run.outputs).toEqual({
      email: 'ada@example.com',
      files: [{ field: 'resume', filename: 'cv.pdf', type: 'application/pdf', size: 1234 }],
    });
  });

  it('runs a trigger written kustomer.hooks.form.<id>.receive from a hook created with that id', async () => {
    const id = '63d19dea07506a356d06d3e6';
    const hook = await createHook('form', { id });
    expect(hook.eventName).toBe(`hooks.form.${id}.receive`);
    const wf = await echoWorkflow(`kustomer.hooks.form.${id}.receive`, { ref: '/#steps.1.attributes.data.ref' });
    const res = await send(hook.url, '{"ref":"R-1"}');
    expect(res.status).toBe(202);
    expect(res.body.runs).toEqual([{ id: expect.any(String), workflow: wf }]);
    expect((await h.waitForRun(key, res.body.runs[0].id)).outputs).toEqual({ ref: 'R-1' });
  });
});

describe('email hooks', () => {
  it('extracts the JSON-LD embedded in the HTML as attributes.data, which a workflow reads', async () => {
    const hook = await createHook('email');
    await echoWorkflow(hook.eventName, {
      reservation: '/#steps.1.attributes.data.reservationNumber',
      guest: '/#steps.1.attributes.data.underName.name',
      subject: '/#steps.1.attributes.email.subject',
      second: '/#steps.1.attributes.embedded.1.kind',
    });
    const html = `<html><head>
      <script type="application/ld+json">{"@context":"http://schema.org","@type":"LodgingReservation",
        "reservationNumber":"abc&amp;456","underName":{"@type":"Person","name":"Ada <Lovelace>"}}</script>
      <script type="text/javascript">var ignored = {"no": 1};</script>
      <script type="application/json; charset=utf-8">{"kind":"extra"}</script>
      </head><body><p>Your stay &amp; more</p></body></html>`;
    const email = {
      from: 'Hotel <bookings@hotel.example>',
      to: [hook.address],
      subject: 'Your reservation',
      text: 'Your stay',
      html,
      headers: { 'message-id': '<m1@hotel.example>' },
      attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 2048 }],
    };
    const res = await send(hook.url, JSON.stringify(email), { authorization: `Bearer ${hook.secret}` });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const run = await h.waitForRun(key, res.body.runs[0].id);
    expect(run.outputs).toEqual({
      reservation: 'abc&amp;456',
      guest: 'Ada <Lovelace>',
      subject: 'Your reservation',
      second: 'extra',
    });
    expect(run.steps[0].output.attributes.email.attachments).toEqual(email.attachments);
  });

  it('needs the secret, and refuses an email that is not one with every problem', async () => {
    const hook = await createHook('email');
    expect((await send(hook.url, '{"from":"a@b.c","to":"x@y.z"}')).status).toBe(401);
    const res = await send(hook.url, JSON.stringify({ to: 5, attachments: [{ content: 'AAAA' }] }), {
      authorization: `Bearer ${hook.secret}`,
    });
    expect(res.status).toBe(400);
    const paths = (res.body.error.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['attachments[0]', 'from', 'to']);
  });
});

describe('limits and hostile input on the receiving routes', () => {
  it('answers 404 for an unknown hook id, a malformed one and a hook of another type', async () => {
    const web = await createHook('web');
    for (const path of [
      '/v1/hooks/web/0123456789abcdef01234567',
      '/v1/hooks/web/not-an-id',
      `/v1/hooks/email/${web.id}`,
    ]) {
      const res = await send(`${h.url}${path}`, '{}', { authorization: `Bearer ${web.secret}` });
      expect(res.status, path).toBe(404);
    }
  });

  it('answers 413 past 400 KB, and 4xx for bodies it cannot read, never 500', async () => {
    // A hook per case: the authenticated ones count against the hook's (small) bucket.
    const big = JSON.stringify({ pad: 'x'.repeat(410 * 1024) });
    const json = { 'content-type': 'application/json' };
    const cases: [string, string | Buffer, Record<string, string>, number, string][] = [
      ['too large', big, json, 413, 'payload_too_large'],
      ['bad JSON', '{"a":', json, 400, 'invalid_json'],
      ['text', 'hello', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
      ['latin-1', '{}', { 'content-type': 'application/json; charset=latin1' }, 415, 'unsupported_charset'],
      ['compress', '{}', { ...json, 'content-encoding': 'compress' }, 415, 'unsupported_encoding'],
      ['bad gzip', 'not gzip', { ...json, 'content-encoding': 'gzip' }, 400, 'invalid_body'],
      ['not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), json, 400, 'invalid_body'],
      ['too deep', `${'['.repeat(70)}${']'.repeat(70)}`, json, 400, 'validation_error'],
    ];
    for (const [name, body, headers, status, code] of cases) {
      const hook = await createHook('web');
      const res = await send(hook.url, body, { ...headers, authorization: `Bearer ${hook.secret}` });
      expect(res.status, name).toBe(status);
      expect(res.body.error.code, name).toBe(code);
    }
    const badUrl = await send(`${h.url}/v1/hooks/web/%E0%A4%A`, '{}');
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.code).toBe('invalid_url');
    const hook = await createHook('web');
    const zipped = await send(hook.url, gzipSync('{"zipped":true}'), {
      authorization: `Bearer ${hook.secret}`,
      'content-encoding': 'gzip',
    });
    expect(zipped.status).toBe(202);
  });

  it('limits each hook to its token bucket: 429 with Retry-After, other hooks unaffected', async () => {
    const hook = await createHook('web');
    const auth = { authorization: `Bearer ${hook.secret}` };
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < BURST + 2; i++) {
      const res = await send(hook.url, '{}', auth);
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses.slice(0, BURST)).toEqual(Array(BURST).fill(202));
    expect(statuses.slice(BURST)).toEqual([429, 429]);
    expect(limited!.body.error.code).toBe('rate_limited');
    const retryAfter = Number(limited!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    const other = await createHook('web');
    expect((await send(other.url, '{}', { authorization: `Bearer ${other.secret}` })).status).toBe(202);
    await eventually(async () => ((await send(hook.url, '{}', auth)).status === 202 ? true : undefined), 5000);
  });
});
