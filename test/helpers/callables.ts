import { expect } from 'vitest';
import type { JsonObject } from '../../src/core/json';
import type { Harness } from './harness';

/** A callable definition through the API (`trigger.callable`: it is named `workflow.<its id>.call`). */
export async function createCallable(h: Harness, key: string, steps: JsonObject[], name = 'callable'): Promise<string> {
  const created = await h.request('POST', '/v1/workflows', {
    key,
    body: { name, enabled: true, trigger: { callable: true, transitions: [{ target: 's1' }] }, steps },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

/** A step that reads the inputs and needs no records: `steps.s1.match` is the first run of b's in `text`. */
export const MATCH_STEP = {
  id: 's1',
  action: 'regex-match.generic',
  params: { testString: '/#steps.1.text', regex: 'b+' },
};
