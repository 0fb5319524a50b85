import { expect } from 'vitest';
import type { JsonObject } from '../../src/core/json';
import type { Harness } from './harness';

/**
 * A callable definition through the API: created, then given the event `workflow.<its id>.call`, which makes
 * it callable (the `trigger.callable` flag does the same once the format has it).
 */
export async function createCallable(h: Harness, key: string, steps: JsonObject[], name = 'callable'): Promise<string> {
  const created = await h.request('POST', '/v1/workflows', {
    key,
    body: { name, enabled: true, trigger: { eventName: 'test.placeholder', transitions: [{ target: 's1' }] }, steps },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  const put = await h.request('PUT', `/v1/workflows/${id}`, {
    key,
    body: { trigger: { eventName: `workflow.${id}.call`, transitions: [{ target: 's1' }] } },
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  return id;
}

/** A step that reads the inputs and needs no records: `steps.s1.match` is the first run of b's in `text`. */
export const MATCH_STEP = {
  id: 's1',
  action: 'regex-match.generic',
  params: { testString: '/#steps.1.text', regex: 'b+' },
};
