import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VariableModel } from '../../../src/models/variable.model';
import { crm } from '../../helpers/crm';
import { startHarness, type Harness } from '../../helpers/harness';

describe('/v1/variables', () => {
  let h: Harness;
  let api: ReturnType<typeof crm>;
  let other: ReturnType<typeof crm>;

  beforeAll(async () => {
    h = await startHarness('api-variables');
    api = crm(h, (await h.createOrg('vars')).apiKey);
    other = crm(h, (await h.createOrg('other')).apiKey);
  });
  afterAll(() => h?.close());

  it('creates, lists, reads, updates and deletes; secret values are never answered', async () => {
    const secret = await api.call('POST', '/v1/variables', { name: 'apiToken', value: 'tok-123456' }, 201);
    expect(secret).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      name: 'apiToken',
      secret: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const plain = await api.call(
      'POST',
      '/v1/variables',
      { id: '63d19ecab24da0e2e2268462', name: 'baseUrl', value: 'https://api.example.com', secret: false },
      201,
    );
    expect(plain).toMatchObject({ id: '63d19ecab24da0e2e2268462', secret: false, value: 'https://api.example.com' });

    const list = (await api.call('GET', '/v1/variables')).variables;
    expect(list.map((v: { name: string }) => v.name)).toEqual(['apiToken', 'baseUrl']);
    expect(JSON.stringify(list)).not.toContain('tok-123456');
    expect(await api.call('GET', `/v1/variables/${secret.id}`)).not.toHaveProperty('value');

    // Sealed at rest: the stored document holds no value in clear.
    const stored = await VariableModel.findOne({ vid: secret.id }).lean();
    expect(JSON.stringify(stored)).not.toContain('tok-123456');

    const renamed = await api.call('PATCH', `/v1/variables/${secret.id}`, { name: 'partnerToken', value: 'tok-7' });
    expect(renamed).toMatchObject({ id: secret.id, name: 'partnerToken', secret: true });
    expect(renamed).not.toHaveProperty('value');
    const unmarked = await api.call('PATCH', `/v1/variables/${secret.id}`, { secret: false, value: 'visible now' });
    expect(unmarked).toMatchObject({ secret: false, value: 'visible now' });

    await api.call('DELETE', `/v1/variables/${secret.id}`, undefined, 204);
    await api.call('GET', `/v1/variables/${secret.id}`, undefined, 404);
    await api.call('DELETE', `/v1/variables/${secret.id}`, undefined, 404);
  });

  it('answers 409 for a taken id or name, per org (another org may hold the same id and name)', async () => {
    const id = '673fdd0c6aaac39ede61d3f5';
    await api.call('POST', '/v1/variables', { id, name: 'dup', value: 'a' }, 201);
    const sameId = await h.request('POST', '/v1/variables', { key: api.key, body: { id, name: 'dup2', value: 'b' } });
    expect(sameId.status).toBe(409);
    expect(sameId.body.error.code).toBe('variable_id_taken');
    const sameName = await h.request('POST', '/v1/variables', { key: api.key, body: { name: 'dup', value: 'b' } });
    expect(sameName.status).toBe(409);
    expect(sameName.body.error.code).toBe('variable_name_taken');
    const other2 = await api.call('POST', '/v1/variables', { name: 'other2', value: 'c' }, 201);
    const rename = await h.request('PATCH', `/v1/variables/${other2.id}`, { key: api.key, body: { name: 'dup' } });
    expect(rename.status).toBe(409);
    expect(rename.body.error.code).toBe('variable_name_taken');

    await other.call('POST', '/v1/variables', { id, name: 'dup', value: 'other org' }, 201);
    await other.call('GET', `/v1/variables/${other2.id}`, undefined, 404);
    expect((await other.call('GET', '/v1/variables')).variables).toHaveLength(1);
  });

  it('refuses bad input with every problem and its path', async () => {
    const bad = await h.request('POST', '/v1/variables', {
      key: api.key,
      body: { name: '1 bad', value: 7, id: 'xyz', colour: 'red' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_error');
    const paths = (bad.body.error.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['$', 'id', 'name', 'value']);

    const idLike = await h.request('POST', '/v1/variables', {
      key: api.key,
      body: { name: 'abcdefabcdefabcdefabcdef', value: 'x' },
    });
    expect(idLike.status).toBe(400);
    expect(idLike.body.error.details[0].message).toContain('must not look like a variable id');

    const created = await api.call('POST', '/v1/variables', { name: 'hidden', value: 'x' }, 201);
    const empty = await h.request('PATCH', `/v1/variables/${created.id}`, { key: api.key, body: {} });
    expect(empty.status).toBe(400);
    const reveal = await h.request('PATCH', `/v1/variables/${created.id}`, { key: api.key, body: { secret: false } });
    expect(reveal.status).toBe(400);
    expect(reveal.body.error.details).toEqual([
      { path: 'value', message: expect.stringContaining('only with a new value') },
    ]);
    const unauthenticated = await h.request('GET', '/v1/variables');
    expect(unauthenticated.status).toBe(401);
  });
});
