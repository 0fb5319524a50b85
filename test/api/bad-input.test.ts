import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationModel } from '../../src/models/conversation.model';
import { CustomerModel } from '../../src/models/customer.model';
import { EventModel } from '../../src/models/event.model';
import { MessageModel } from '../../src/models/message.model';
import { NoteModel } from '../../src/models/note.model';
import { OrgModel } from '../../src/models/org.model';
import { WorkflowModel } from '../../src/models/workflow.model';
import { always, crm } from '../helpers/crm';
import { startHarness, type Harness } from '../helpers/harness';

/**
 * The bad-input corpus: hundreds of malformed, oversized, nonsensical and hostile
 * requests across every route, as a careless client or an attacker sends them. Every one must get
 * its expected 4xx with the error envelope, none a 5xx; the server stays healthy and no record,
 * workflow or event changes. The counts by status are printed.
 */
let h: Harness;
let keyA: string;
let keyB: string;
const ids = { customer: '', conversation: '', message: '', workflow: '', event: '', run: 'run-nope' };

beforeAll(async () => {
  h = await startHarness('bad-input');
  keyA = (await h.createOrg('target')).apiKey;
  keyB = (await h.createOrg('other')).apiKey;
  const a = crm(h, keyA);
  ids.customer = (await a.createCustomer({ name: 'Ada', emails: [{ email: 'ada@example.com' }] })).id;
  ids.conversation = (await a.createConversation({ customer: ids.customer, name: 'Hello' })).id;
  ids.message = (await a.createMessage({ conversation: ids.conversation, direction: 'in', body: 'hi' })).id;
  ids.workflow = (
    await a.createWorkflow({
      name: 'tag-on-ship',
      trigger: { eventName: 'order.shipped', transitions: [{ target: 'tag', condition: always }] },
      steps: [{ id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['x'] } }],
    })
  ).id;
  const posted = await h.request('POST', '/v1/events', {
    key: keyA,
    body: { name: 'order.shipped', data: { conversation: ids.conversation } },
    headers: { 'idempotency-key': 'corpus-key-1' },
  });
  expect(posted.status).toBe(202);
  ids.event = posted.body.eventId as string;
});
afterAll(() => h?.close());

interface Case {
  /** What kind of bad input, for the printed counts. */
  kind: string;
  method: string;
  path: string;
  key?: string | null;
  headers?: Record<string, string>;
  /** A JSON value (sent as JSON) or raw bytes. */
  body?: unknown;
  raw?: Buffer | string;
  status: number;
  code?: string;
  /** Paths the validation details must include. */
  paths?: string[];
}

const long = (n: number, c = 'x') => c.repeat(n);
const workflowBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'corpus',
  trigger: { eventName: 'order.shipped', transitions: [{ target: 'tag' }] },
  steps: [{ id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['x'] } }],
  ...overrides,
});

function corpus(): Case[] {
  const cases: Case[] = [];
  const add = (kind: string, c: Omit<Case, 'kind'>) => cases.push({ kind, ...c });

  const idRoutes: [string, string][] = [
    ['GET', '/v1/workflows/:id'],
    ['GET', '/v1/workflows/:id/export'],
    ['PUT', '/v1/workflows/:id'],
    ['PATCH', '/v1/workflows/:id'],
    ['DELETE', '/v1/workflows/:id'],
    ['GET', '/v1/events/:id'],
    ['GET', '/v1/runs/:id'],
    ['POST', '/v1/runs/:id/cancel'],
    ['GET', '/v1/customers/:id'],
    ['PATCH', '/v1/customers/:id'],
    ['GET', '/v1/conversations/:id'],
    ['PATCH', '/v1/conversations/:id'],
    ['GET', '/v1/conversations/:id/messages'],
    ['GET', '/v1/messages/:id'],
  ];
  for (const [method, route] of idRoutes) {
    for (const bad of ['%E0%A4%A', '%', '%ZZ', '%C0%AF', 'abc%FF']) {
      add('malformed percent-encoding', {
        method,
        path: route.replace(':id', bad),
        body: method === 'GET' || method === 'DELETE' || method === 'POST' ? undefined : {},
        status: 400,
        code: 'invalid_url',
      });
    }
    add('id too long', {
      method,
      path: route.replace(':id', long(300)),
      body: method === 'PUT' ? {} : undefined,
      status: 400,
    });
  }

  const bodyRoutes: [string, string, unknown][] = [
    ['POST', '/v1/workflows', workflowBody()],
    ['POST', '/v1/workflows/import', workflowBody()],
    ['PUT', `/v1/workflows/${ids.workflow}`, { description: 'changed' }],
    ['PATCH', `/v1/workflows/${ids.workflow}`, { enabled: true }],
    ['POST', '/v1/events', { name: 'order.shipped', data: {} }],
    ['POST', '/v1/customers', { name: 'Bob' }],
    ['PATCH', `/v1/customers/${ids.customer}`, { name: 'Bob' }],
    ['POST', '/v1/conversations', { customer: ids.customer }],
    ['PATCH', `/v1/conversations/${ids.conversation}`, { name: 'changed' }],
    ['POST', '/v1/messages', { conversation: ids.conversation, direction: 'in', body: 'x' }],
  ];
  for (const [method, path, good] of bodyRoutes) {
    const json = JSON.stringify(good);
    for (const charset of ['latin1', 'koi8-r', 'windows-1252']) {
      for (const key of [keyA, null]) {
        add('unsupported charset', {
          method,
          path,
          key,
          headers: { 'content-type': `application/json; charset=${charset}` },
          raw: json,
          status: 415,
          code: 'unsupported_charset',
        });
      }
    }
    for (const [encoding, raw, status, code] of [
      ['compress', json, 415, 'unsupported_encoding'],
      ['x-made-up', json, 415, 'unsupported_encoding'],
      ['gzip', json, 400, 'invalid_body'],
      ['deflate', 'not deflated', 400, 'invalid_body'],
      ['br', 'not brotli', 400, 'invalid_body'],
    ] as const) {
      add('bad content encoding', {
        method,
        path,
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        raw,
        status,
        code,
      });
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      add('not JSON', {
        method,
        path,
        headers: { 'content-type': type },
        raw: json,
        status: 415,
        code: 'unsupported_media_type',
      });
    }
    // Only objects and arrays are JSON bodies here (express.json's strict mode): `null`, `42` are refused too.
    for (const raw of ['{', '[1,]', '{"a":}', 'nul', '"just a string"', '{"a":1}}', 'null', '42', '"text"']) {
      add('malformed JSON', {
        method,
        path,
        headers: { 'content-type': 'application/json' },
        raw,
        status: 400,
        code: 'invalid_json',
      });
    }
    for (const body of [[good], { ...(good as object), sneaky: true }]) {
      add('wrong shape or unknown field', { method, path, body, status: 400, code: 'validation_error' });
    }
    // UTF-8 read as UTF-16 (a charset body-parser accepts) is not JSON.
    add('malformed JSON', {
      method,
      path,
      headers: { 'content-type': 'application/json; charset=utf-16' },
      raw: json,
      status: 400,
      code: 'invalid_json',
    });
    add('oversized body', { method, path, body: { name: long(1_100_000) }, status: 413, code: 'payload_too_large' });
    add('10,000-level nesting', {
      method,
      path,
      raw: `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
      headers: { 'content-type': 'application/json' },
      status: 400,
    });
  }

  // Unknown fields, named in the details.
  const unknown = (path: string, method: string, body: unknown, paths: string[]) =>
    add('unknown field', { method, path, body, status: 400, code: 'validation_error', paths });
  unknown('/v1/workflows', 'POST', workflowBody({ colour: 'red' }), ['$']);
  unknown('/v1/workflows', 'POST', workflowBody({ trigger: { eventName: 'order.shipped', when: 1 } }), ['trigger']);
  unknown(
    '/v1/workflows',
    'POST',
    workflowBody({
      steps: [{ id: 'tag', action: 'conversation.append-tags', params: { id: 'x', tags: ['y'] }, transition: [] }],
    }),
    ['steps[0]'],
  );
  unknown(
    '/v1/workflows',
    'POST',
    workflowBody({ trigger: { eventName: 'order.shipped', transitions: [{ target: 'tag', weight: 2 }] } }),
    ['trigger.transitions[0]'],
  );
  unknown(
    '/v1/workflows',
    'POST',
    workflowBody({
      trigger: {
        eventName: 'order.shipped',
        transitions: [{ target: 'tag', condition: { op: 'true', values: [], not: true } }],
      },
    }),
    ['trigger.transitions[0].condition'],
  );
  unknown(`/v1/workflows/${ids.workflow}`, 'PUT', { colour: 'red', size: 3 }, ['$']);
  unknown(`/v1/workflows/${ids.workflow}`, 'PATCH', { enabled: false, colour: 'red' }, ['$']);
  unknown('/v1/workflows/import', 'POST', { workflows: [workflowBody({ colour: 'red' })] }, ['workflows[0]']);
  unknown('/v1/customers', 'POST', { name: 'x', emails: [{ email: 'a@b.co', verified: true }] }, ['emails[0]']);
  unknown('/v1/conversations', 'POST', { customer: ids.customer, owner: 'me' }, ['$']);
  unknown('/v1/messages', 'POST', { conversation: ids.conversation, direction: 'in', body: 'x', from: 'me' }, ['$']);
  unknown('/v1/events', 'POST', { name: 'order.shipped', data: {}, when: 'now' }, ['$']);

  // Documented length limits.
  const limit = (path: string, method: string, body: unknown, paths: string[]) =>
    add('past a length limit', { method, path, body, status: 400, code: 'validation_error', paths });
  limit('/v1/customers', 'POST', { phones: [{ phone: long(300_000, '1') }] }, ['phones[0].phone']);
  limit('/v1/customers', 'POST', { emails: [{ email: `${long(300_000)}@example.com` }] }, ['emails[0].email']);
  limit('/v1/customers', 'POST', { name: long(501) }, ['name']);
  limit('/v1/customers', 'POST', { externalId: long(201) }, ['externalId']);
  limit('/v1/customers', 'POST', { emails: Array.from({ length: 51 }, (_, i) => ({ email: `a${i}@b.co` })) }, [
    'emails',
  ]);
  limit(`/v1/conversations/${ids.conversation}`, 'PATCH', { tags: [long(300_000)] }, ['tags[0]']);
  limit(`/v1/conversations/${ids.conversation}`, 'PATCH', { tags: Array.from({ length: 20_000 }, (_, i) => `t${i}`) }, [
    'tags',
  ]);
  limit(
    `/v1/conversations/${ids.conversation}`,
    'PATCH',
    { assignedUsers: Array.from({ length: 51 }, (_, i) => `u${i}`) },
    ['assignedUsers'],
  );
  limit('/v1/messages', 'POST', { conversation: ids.conversation, direction: 'in', subject: long(1001) }, ['subject']);
  limit('/v1/events', 'POST', { name: long(100_000, 'a'), data: {} }, ['name']);
  limit('/v1/workflows', 'POST', workflowBody({ name: long(201) }), ['name']);
  limit('/v1/workflows', 'POST', workflowBody({ trigger: { eventName: long(100_000, 'a') } }), ['trigger.eventName']);
  limit('/v1/workflows', 'POST', workflowBody({ steps: Array.from({ length: 5000 }, (_, i) => ({ id: `s${i}` })) }), [
    'steps',
  ]);
  limit('/v1/workflows', 'POST', workflowBody({ description: long(5001) }), ['description']);
  add('past a length limit', {
    method: 'POST',
    path: '/v1/events',
    headers: { 'idempotency-key': long(201) },
    body: { name: 'order.shipped', data: {} },
    status: 400,
    paths: ['headers["Idempotency-Key"]'],
  });

  // Step ids objects inherit, and other unsafe ids.
  for (const id of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'a.b', 'a b', '']) {
    add('unsafe step id', {
      method: 'POST',
      path: '/v1/workflows',
      body: workflowBody({
        trigger: { eventName: 'order.shipped', transitions: [{ target: id || 'x' }] },
        steps: [{ id, action: 'conversation.find-by-id', params: { id: 'c' } }],
      }),
      status: 400,
      paths: ['steps[0].id'],
    });
  }

  // Event names reserved for real writes, with and without the prefix.
  for (const name of [
    'customer.create',
    'kustomer.customer.create',
    'conversation.update',
    'kustomer.conversation.create',
    'message.create',
    'kustomer.message.create',
    'note.create',
    'kustomer.note.update',
  ]) {
    add('reserved event name', {
      method: 'POST',
      path: '/v1/events',
      body: { name, data: { id: 'made-up' } },
      status: 400,
      paths: ['name'],
    });
  }
  for (const name of ['order shipped', '.x', 'a/b', '../etc']) {
    add('not an event name', {
      method: 'POST',
      path: '/v1/events',
      body: { name, data: {} },
      status: 400,
      paths: ['name'],
    });
  }

  // The same Idempotency-Key with a different request.
  for (const body of [
    { name: 'order.shipped', data: { conversation: 'another' } },
    { name: 'order.delivered', data: { conversation: ids.conversation } },
    { name: 'order.shipped', data: { conversation: ids.conversation, extra: 1 } },
  ]) {
    add('idempotency key reused', {
      method: 'POST',
      path: '/v1/events',
      headers: { 'idempotency-key': 'corpus-key-1' },
      body,
      status: 422,
      code: 'idempotency_key_reused',
    });
  }

  // Hostile expressions refused on save.
  const condition = (value: Record<string, unknown>, paths: string[]) =>
    add('hostile expression on save', {
      method: 'POST',
      path: '/v1/workflows',
      body: workflowBody({
        trigger: { eventName: 'order.shipped', transitions: [{ target: 'tag', condition: value }] },
      }),
      status: 400,
      paths,
    });
  // 2,000 and 1,500 nested subexpressions, and a regex RE2 refuses.
  const eq = (template: string) => ({ op: 'eq', values: [template, 'x'] });
  condition(eq(`{{toLower ${'(toLower '.repeat(2000)}steps.1.a${')'.repeat(2000)}}}`), [
    'trigger.transitions[0].condition.values[0]',
  ]);
  condition(eq(`{{math ${'(math '.repeat(1500)}1 "+" 1${') "+" 1'.repeat(1500)}}}`), [
    'trigger.transitions[0].condition.values[0]',
  ]);
  condition({ op: 'regex', values: ['/#steps.1.a', '(a)\\1'] }, ['trigger.transitions[0].condition.values[1]']);
  add('hostile expression on save', {
    method: 'POST',
    path: '/v1/workflows',
    headers: { 'content-type': 'application/json' },
    raw: JSON.stringify(workflowBody({ meta: { deep: '@' } })).replace(
      '"@"',
      `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
    ),
    status: 400,
  });

  // Queries that try to be operators or are out of range.
  for (const query of [
    'email[$ne]=x',
    'email[$regex]=.*',
    'externalId[$gt]=',
    'email=a&limit=0',
    'email=a&limit=-1',
    'email=a&limit=abc',
    'email=a&limit=100000',
    '',
  ]) {
    add('bad query', { method: 'GET', path: `/v1/customers?${query}`, status: 400 });
  }
  for (const query of ['workflow=../x', 'workflow[$ne]=x', 'status=bogus', 'limit=0', 'limit=1e9']) {
    add('bad query', { method: 'GET', path: `/v1/runs?${query}`, status: 400 });
  }

  // Another org's resources, and no credentials.
  for (const [method, route] of idRoutes) {
    const resource = route.startsWith('/v1/workflows')
      ? ids.workflow
      : route.startsWith('/v1/events')
        ? ids.event
        : route.startsWith('/v1/customers')
          ? ids.customer
          : route.startsWith('/v1/conversations')
            ? ids.conversation
            : route.startsWith('/v1/messages')
              ? ids.message
              : ids.run;
    const body =
      method === 'PATCH' && route.startsWith('/v1/workflows')
        ? { enabled: true }
        : method === 'PATCH' || method === 'PUT'
          ? { name: 'stolen' }
          : undefined;
    add("another org's resource", { method, path: route.replace(':id', resource), key: keyB, body, status: 404 });
    add('no credentials', {
      method,
      path: route.replace(':id', resource),
      key: null,
      body,
      status: 401,
      code: 'unauthorized',
    });
  }
  for (const authorization of [
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNz',
    `Bearer ${long(5000)}`,
    'Bearer x y',
    'Bearer \u00e9',
  ]) {
    add('bad credentials', {
      method: 'GET',
      path: '/v1/workflows',
      key: null,
      headers: { authorization },
      status: 401,
    });
  }
  add('bad credentials', { method: 'POST', path: '/v1/orgs', key: keyA, body: { name: 'x' }, status: 401 });
  add('unknown route', { method: 'GET', path: '/v1/nothing-here', status: 404, code: 'route_not_found' });
  add('unknown route', { method: 'DELETE', path: '/v1/customers', status: 404 });
  return cases;
}

async function send(c: Case): Promise<{ status: number; body: unknown; text: string }> {
  const headers: Record<string, string> = { ...c.headers };
  const key = c.key === undefined ? keyA : c.key;
  if (key) headers.authorization ??= `Bearer ${key}`;
  let body: Buffer | string | undefined;
  if (c.raw !== undefined) body = c.raw;
  else if (c.body !== undefined) {
    body = JSON.stringify(c.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${h.url}${c.path}`, { method: c.method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

async function snapshot() {
  const count = async (model: { countDocuments(filter: object): Promise<number> }) => model.countDocuments({});
  return {
    orgs: await count(OrgModel),
    customers: await CustomerModel.find({}).sort({ _id: 1 }).lean(),
    conversations: await ConversationModel.find({}).sort({ _id: 1 }).lean(),
    messages: await MessageModel.find({}).sort({ _id: 1 }).lean(),
    notes: await count(NoteModel),
    workflows: await WorkflowModel.find({}).sort({ _id: 1 }).lean(),
    events: await EventModel.find({}).sort({ _id: 1 }).select({ _id: 1, name: 1, dataJson: 1, status: 1 }).lean(),
  };
}

describe('the bad-input corpus', () => {
  it('answers every malformed or hostile request with its 4xx and the envelope, changes nothing, stays healthy', async () => {
    const cases = corpus();
    expect(cases.length).toBeGreaterThanOrEqual(300);
    // The setup's workflow is disabled: its event started nothing, so nothing writes meanwhile.
    const before = await snapshot();

    const byStatus = new Map<number, number>();
    const byKind = new Map<string, number>();
    const failures: string[] = [];
    for (const c of cases) {
      const res = await send(c);
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
      const where = `${c.kind}: ${c.method} ${c.path.slice(0, 80)} -> ${res.status} ${res.text.slice(0, 300)}`;
      const envelope = res.body as { error?: { code?: unknown; message?: unknown; details?: { path: string }[] } };
      if (res.status !== c.status) failures.push(`expected ${c.status}; ${where}`);
      else if (
        typeof envelope?.error?.code !== 'string' ||
        typeof envelope.error.message !== 'string' ||
        !Array.isArray(envelope.error.details)
      ) {
        failures.push(`no error envelope; ${where}`);
      } else if (c.code && envelope.error.code !== c.code) failures.push(`expected code ${c.code}; ${where}`);
      else if (c.paths && !c.paths.every((p) => envelope.error!.details!.some((d) => d.path === p))) {
        failures.push(`expected details at ${c.paths.join(', ')}; ${where}`);
      }
    }

    const health = await h.request('GET', '/healthz');
    const after = await snapshot();
    const counts = [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
    console.log(`bad-input corpus: ${cases.length} requests; by status ${counts}`);
    console.log(`by kind: ${[...byKind.entries()].map(([k, n]) => `${k} ${n}`).join('; ')}`);

    expect(failures, failures.join('\n')).toEqual([]);
    expect([...byStatus.keys()].filter((s) => s >= 500)).toEqual([]);
    expect(health.status).toBe(200);
    expect(after).toEqual(before);
  });

  it('keeps rev when a PUT changes nothing, including one that sends back what GET returned', async () => {
    const a = crm(h, keyA);
    const current = await a.call('GET', `/v1/workflows/${ids.workflow}`);
    const same = await a.call('PUT', `/v1/workflows/${ids.workflow}`, current);
    expect(same.rev).toBe(current.rev);
    const changed = await a.call('PUT', `/v1/workflows/${ids.workflow}`, { description: 'now different' });
    expect(changed.rev).toBe(current.rev + 1);
  });

  it('accepts a gzip body and the same Idempotency-Key with the same request', async () => {
    const res = await fetch(`${h.url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ name: 'Zipped' })),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { name: string }).name).toBe('Zipped');
    const again = await h.request('POST', '/v1/events', {
      key: keyA,
      body: { name: 'order.shipped', data: { conversation: ids.conversation } },
      headers: { 'idempotency-key': 'corpus-key-1' },
    });
    expect(again.status).toBe(202);
    expect(again.body.eventId).toBe(ids.event);
  });
});
