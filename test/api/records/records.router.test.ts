import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { always, crm } from '../../helpers/crm';
import { startHarness, type Harness } from '../../helpers/harness';

/**
 * The API contract (README "API") for records, events and tenant isolation, end to end
 * against the real servers: API -> MongoDB (FerretDB) -> event dispatch -> Temporal run.
 */
let h: Harness;
let api: ReturnType<typeof crm>;

beforeAll(async () => {
  h = await startHarness('api-records');
  api = crm(h, (await h.createOrg('records')).apiKey);
});
afterAll(() => h?.close());

const paths = (body: { error: { details: { path: string }[] } }) => body.error.details.map((d) => d.path).sort();

/** Sends a bad body and checks the 400 validation envelope lists exactly `expected` paths. */
async function expectInvalid(method: string, path: string, body: unknown, expected: string[]) {
  const res = await h.request(method, path, { key: api.key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body).toEqual({
    error: { code: 'validation_error', message: expect.any(String), details: expect.any(Array) },
  });
  expect(paths(res.body)).toEqual(expected);
  return res.body;
}

describe('customers', () => {
  it('creates, reads and patches a customer; custom attributes merge key by key', async () => {
    const created = await api.createCustomer({
      name: 'Ann',
      emails: [{ email: 'Ann@Example.com', type: 'home' }],
      phones: [{ phone: '+15551234567' }],
      externalId: 'ext-ann',
      custom: { tier: 'gold', score: 3 },
    });
    expect(created).toEqual({
      id: expect.any(String),
      name: 'Ann',
      emails: [{ email: 'Ann@Example.com', type: 'home' }],
      phones: [{ phone: '+15551234567' }],
      externalId: 'ext-ann',
      custom: { tier: 'gold', score: 3 },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await api.call('GET', `/v1/customers/${created.id}`)).toEqual(created);

    const patched = await api.call('PATCH', `/v1/customers/${created.id}`, {
      name: 'Ann B',
      custom: { score: 4, vip: true },
    });
    expect(patched).toMatchObject({ id: created.id, name: 'Ann B', emails: created.emails, externalId: 'ext-ann' });
    expect(patched.custom).toEqual({ tier: 'gold', score: 4, vip: true });
    expect(patched.createdAt).toBe(created.createdAt);
    expect(await api.call('GET', `/v1/customers/${created.id}`)).toEqual(patched);
  });

  it('round-trips custom attributes that MongoDB or FerretDB would reject as documents', async () => {
    const custom = { 'a.b': 1, $x: { '$y.z': [[1, 2], [3]] }, nested: [[{ 'k.k': null }], []], '': 'empty key' };
    const created = await api.createCustomer({ name: 'Odd', custom });
    expect(created.custom).toEqual(custom);
    expect((await api.call('GET', `/v1/customers/${created.id}`)).custom).toEqual(custom);
    const patched = await api.call('PATCH', `/v1/customers/${created.id}`, { custom: { $x: [[]] } });
    expect(patched.custom).toEqual({ ...custom, $x: [[]] });
    expect((await api.call('GET', `/v1/customers/${created.id}`)).custom).toEqual({ ...custom, $x: [[]] });
  });

  it('keeps an own "__proto__" key in custom attributes', async () => {
    const body = '{"name":"Proto","custom":{"__proto__":{"polluted":true},"b":2}}';
    const created = await h.request('POST', '/v1/customers', { key: api.key, body });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body.custom)).toBe('{"__proto__":{"polluted":true},"b":2}');
    const read = await api.call('GET', `/v1/customers/${created.body.id}`);
    expect(JSON.stringify(read.custom)).toBe('{"__proto__":{"polluted":true},"b":2}');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses JSON nested deeper than the limit with a 400, not a crash', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const res = await h.request('POST', '/v1/customers', {
      key: api.key,
      body: `{"name":"Deep","custom":{"x":${deep}}}`,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ message: 'nested deeper than 64 levels' });
    expect(res.body.error.details[0].path).toMatch(/^custom\.x(\[0\]){64}/);
  });

  it('finds customers by email (case-insensitive) and by externalId', async () => {
    const bo = await api.createCustomer({
      name: 'Bo',
      emails: [{ email: 'Bo.Smith@Example.org' }],
      externalId: 'crm-42',
    });
    await api.createCustomer({ name: 'Other', emails: [{ email: 'other@example.org' }], externalId: 'crm-43' });
    for (const email of ['bo.smith@example.org', 'BO.SMITH@EXAMPLE.ORG', 'Bo.Smith@Example.org']) {
      const { customers } = await api.call('GET', `/v1/customers?email=${encodeURIComponent(email)}`);
      expect(
        customers.map((c: { id: string }) => c.id),
        email,
      ).toEqual([bo.id]);
    }
    expect((await api.call('GET', '/v1/customers?externalId=crm-42')).customers).toEqual([bo]);
    expect((await api.call('GET', '/v1/customers?externalId=CRM-42')).customers).toEqual([]);
    expect((await api.call('GET', '/v1/customers?email=nobody%40example.org')).customers).toEqual([]);
    await expectInvalid('GET', '/v1/customers', undefined, ['query']);
    await expectInvalid('GET', '/v1/customers?name=Bo', undefined, ['query']);
  });

  it('rejects bad bodies with every problem and its path, and stores nothing', async () => {
    const query = '/v1/customers?externalId=bad-one';
    await expectInvalid(
      'POST',
      '/v1/customers',
      {
        externalId: 'bad-one',
        emails: [{ email: 'ok@example.com' }, { email: 'not-an-email' }],
        phones: [{ phone: 1 }],
        age: 3,
      },
      ['$', 'emails[1].email', 'phones[0].phone'],
    );
    await expectInvalid('POST', '/v1/customers', { externalId: 'bad-one', emails: [{ email: 'x' }] }, [
      'emails[0].email',
    ]);
    expect((await api.call('GET', query)).customers).toEqual([]);

    const ok = await api.createCustomer({ name: 'Kept', custom: { a: 1 } });
    await expectInvalid('PATCH', `/v1/customers/${ok.id}`, { emails: [{ email: '@' }], custom: 'no' }, [
      'custom',
      'emails[0].email',
    ]);
    expect(await api.call('GET', `/v1/customers/${ok.id}`)).toEqual(ok);
  });

  it('answers 404 for an unknown customer and 400 invalid_json for a malformed body', async () => {
    expect((await h.request('GET', '/v1/customers/nope', { key: api.key })).status).toBe(404);
    expect((await h.request('PATCH', '/v1/customers/nope', { key: api.key, body: { name: 'x' } })).status).toBe(404);
    const res = await h.request('POST', '/v1/customers', { key: api.key, body: '{"name": ' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
    expect(res.body.error.details).toEqual([{ path: expect.any(String), message: expect.any(String) }]);
  });
});

describe('conversations and messages', () => {
  it('creates, patches and reads a conversation', async () => {
    const customer = await api.createCustomer({ name: 'Cy' });
    const created = await api.createConversation({
      customer: customer.id,
      name: 'Order 7',
      tags: ['a', 'a', 'b'],
      custom: { x: 1 },
    });
    expect(created).toMatchObject({
      id: expect.any(String),
      customer: customer.id,
      name: 'Order 7',
      status: 'open',
      priority: 1,
      tags: ['a', 'b'],
      assignedUsers: [],
      snoozedUntil: null,
      custom: { x: 1 },
      messageCount: 0,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const patched = await api.patchConversation(created.id, {
      status: 'snoozed',
      snoozedUntil: '2031-01-01T09:00:00.000Z',
      priority: 5,
      custom: { y: [[2]] },
    });
    expect(patched).toMatchObject({ status: 'snoozed', snoozedUntil: '2031-01-01T09:00:00.000Z', priority: 5 });
    expect(patched.custom).toEqual({ x: 1, y: [[2]] });
    expect(await api.getConversation(created.id)).toEqual(patched);
    expect(await api.patchConversation(created.id, { status: 'done' })).toMatchObject({
      status: 'done',
      snoozedUntil: null,
    });
  });

  it('rejects bad conversation bodies with paths, and an unknown customer at path customer', async () => {
    const customer = await api.createCustomer({ name: 'Di' });
    await expectInvalid('POST', '/v1/conversations', { customer: customer.id, priority: 9, status: 'closed' }, [
      'priority',
      'status',
    ]);
    await expectInvalid('POST', '/v1/conversations', { name: 'no customer' }, ['customer']);
    const unknown = await h.request('POST', '/v1/conversations', { key: api.key, body: { customer: 'nope' } });
    expect(unknown.status).toBe(400);
    expect(paths(unknown.body)).toEqual(['customer']);
    const conversation = await api.createConversation({ customer: customer.id });
    await expectInvalid('PATCH', `/v1/conversations/${conversation.id}`, { priority: 0, customer: customer.id }, [
      '$',
      'priority',
    ]);
    expect(await api.getConversation(conversation.id)).toEqual(conversation);
  });

  it('creates messages that carry the conversation customer, first one initial-in', async () => {
    const customer = await api.createCustomer({ name: 'Ed' });
    const conversation = await api.createConversation({ customer: customer.id });
    const first = await api.createMessage({
      conversation: conversation.id,
      direction: 'in',
      subject: 'Hi',
      body: 'Hello',
    });
    expect(first).toEqual({
      id: expect.any(String),
      conversation: conversation.id,
      customer: customer.id,
      channel: 'email',
      direction: 'in',
      directionType: 'initial-in',
      subject: 'Hi',
      body: 'Hello',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const second = await api.createMessage({
      conversation: conversation.id,
      channel: 'chat',
      direction: 'out',
      body: 'Reply',
    });
    expect(second).toMatchObject({ customer: customer.id, direction: 'out', directionType: 'out', subject: null });
    expect(await api.call('GET', `/v1/messages/${first.id}`)).toEqual(first);
    expect(await api.messagesOf(conversation.id)).toEqual([first, second]);
    expect(await api.getConversation(conversation.id)).toMatchObject({ messageCount: 2, channels: ['email', 'chat'] });
  });

  it('rejects bad message bodies with paths and stores nothing', async () => {
    const customer = await api.createCustomer({ name: 'Flo' });
    const conversation = await api.createConversation({ customer: customer.id });
    await expectInvalid(
      'POST',
      '/v1/messages',
      { conversation: conversation.id, direction: 'sideways', directionType: 'up' },
      ['direction', 'directionType'],
    );
    const unknown = await h.request('POST', '/v1/messages', {
      key: api.key,
      body: { conversation: 'nope', direction: 'in' },
    });
    expect(unknown.status).toBe(400);
    expect(paths(unknown.body)).toEqual(['conversation']);
    expect(await api.messagesOf(conversation.id)).toEqual([]);
    expect((await h.request('GET', '/v1/messages/nope', { key: api.key })).status).toBe(404);
    expect((await h.request('GET', '/v1/conversations/nope/messages', { key: api.key })).status).toBe(404);
  });
});

describe('events', () => {
  it('accepts a custom event with 202 {eventId, runs} and shows it', async () => {
    const res = await h.request('POST', '/v1/events', {
      key: api.key,
      body: { name: 'order.shipped', data: { order: 7 } },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ eventId: expect.any(String), runs: [] });
    const event = await api.event(res.body.eventId);
    expect(event).toMatchObject({
      id: res.body.eventId,
      name: 'order.shipped',
      data: { order: 7 },
      runs: [],
      skipped: [],
    });
    await expectInvalid('POST', '/v1/events', { data: [] }, ['data', 'name']);
    expect((await h.request('GET', '/v1/events/nope', { key: api.key })).status).toBe(404);
  });
});

describe('tenant isolation', () => {
  it("gives org B 404 for every one of org A's resources and lists none of them", async () => {
    const a = api;
    const b = crm(h, (await h.createOrg('intruder')).apiKey);
    const wf = await a.createWorkflow({
      name: 'mark-new-customers',
      enabled: true,
      trigger: { eventName: 'customer.create', transitions: [{ target: 'mark', condition: always }] },
      steps: [
        { id: 'mark', action: 'kustomer.customer.update', params: { id: '/#steps.1.id', custom: { marked: true } } },
      ],
    });
    const customer = await a.createCustomer({
      name: 'Secret',
      emails: [{ email: 'secret@example.com' }],
      externalId: 'sec-1',
    });
    const conversation = await a.createConversation({ customer: customer.id });
    const message = await a.createMessage({ conversation: conversation.id, direction: 'in', body: 'private' });
    const [run] = await a.finishedRuns(wf.id);
    expect(run.status).toBe('completed');
    expect((await a.call('GET', `/v1/customers/${customer.id}`)).custom).toEqual({ marked: true });
    const event = await h.request('POST', '/v1/events', {
      key: a.key,
      body: { name: 'secret.event', data: { pin: 1234 } },
    });

    const forbidden: [string, string, unknown?][] = [
      ['GET', `/v1/workflows/${wf.id}`],
      ['PUT', `/v1/workflows/${wf.id}`, { name: 'stolen' }],
      ['PATCH', `/v1/workflows/${wf.id}`, { enabled: false }],
      ['GET', `/v1/workflows/${wf.id}/export`],
      ['DELETE', `/v1/workflows/${wf.id}`],
      ['GET', `/v1/customers/${customer.id}`],
      ['PATCH', `/v1/customers/${customer.id}`, { name: 'stolen' }],
      ['GET', `/v1/conversations/${conversation.id}`],
      ['PATCH', `/v1/conversations/${conversation.id}`, { status: 'done' }],
      ['GET', `/v1/conversations/${conversation.id}/messages`],
      ['GET', `/v1/messages/${message.id}`],
      ['GET', `/v1/events/${event.body.eventId}`],
      ['GET', `/v1/runs/${run.id}`],
      ['POST', `/v1/runs/${run.id}/cancel`],
    ];
    for (const [method, path, body] of forbidden) {
      const res = await h.request(method, path, { key: b.key, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code, `${method} ${path}`).toBe('not_found');
      expect(JSON.stringify(res.body), `${method} ${path}`).not.toMatch(/Secret|private|1234|mark-new-customers/);
    }
    // Nor can B attach records to A's.
    expect((await h.request('POST', '/v1/conversations', { key: b.key, body: { customer: customer.id } })).status).toBe(
      400,
    );
    expect(
      (
        await h.request('POST', '/v1/messages', {
          key: b.key,
          body: { conversation: conversation.id, direction: 'in' },
        })
      ).status,
    ).toBe(400);

    expect(await b.call('GET', '/v1/workflows')).toEqual({ workflows: [] });
    expect(await b.call('GET', '/v1/runs')).toEqual({ runs: [] });
    expect(await b.runsOf(wf.id)).toEqual([]);
    expect((await b.call('GET', '/v1/customers?email=secret%40example.com')).customers).toEqual([]);
    expect((await b.call('GET', '/v1/customers?externalId=sec-1')).customers).toEqual([]);

    // A still sees everything unchanged.
    expect(await a.call('GET', `/v1/workflows/${wf.id}`)).toEqual(wf);
    expect((await a.call('GET', `/v1/customers/${customer.id}`)).name).toBe('Secret');
    expect((await a.getConversation(conversation.id)).status).toBe('open');
    expect((await a.runsOf(wf.id)).map((r: { id: string }) => r.id)).toEqual([run.id]);
    expect((await a.call('GET', `/v1/runs/${run.id}`)).steps.map((s: { id: string }) => s.id)).toEqual(['1', 'mark']);
  });
});
