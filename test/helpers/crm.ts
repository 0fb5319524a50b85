import { randomBytes } from 'node:crypto';
import type { ActionInput } from '../../src/workflows/run.types';
import { expect } from 'vitest';
import { eventually, type Harness } from './harness';

/** Small API clients for tests: each asserts the call succeeded, so a test fails where the setup broke. */
export function crm(h: Harness, key: string) {
  const call = async (method: string, path: string, body?: unknown, expected = 200) => {
    const res = await h.request(method, path, { key, body });
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(expected);
    return res.body;
  };
  return {
    key,
    call,
    createWorkflow: (definition: unknown) => call('POST', '/v1/workflows', definition, 201),
    createCustomer: (body: unknown) => call('POST', '/v1/customers', body, 201),
    createConversation: (body: unknown) => call('POST', '/v1/conversations', body, 201),
    createMessage: (body: unknown) => call('POST', '/v1/messages', body, 201),
    /** Like `call`, plus the id of the event the write published (the `Event-Id` header). */
    async write(method: string, path: string, body: unknown, expected = 200) {
      const res = await h.request(method, path, { key, body });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(expected);
      return { record: res.body, eventId: res.headers.get('event-id') ?? '' };
    },
    getConversation: (id: string) => call('GET', `/v1/conversations/${id}`),
    patchConversation: (id: string, body: unknown) => call('PATCH', `/v1/conversations/${id}`, body),
    messagesOf: async (id: string) => (await call('GET', `/v1/conversations/${id}/messages`)).messages,
    runsOf: async (workflow: string) => (await call('GET', `/v1/runs?workflow=${workflow}`)).runs,
    event: (id: string) => call('GET', `/v1/events/${id}`),
    /** Waits until `workflow` has `count` runs, lets them finish, and returns their details, oldest first. */
    async finishedRuns(workflow: string, count = 1) {
      const runs = await eventually(async () => {
        const list = (await call('GET', `/v1/runs?workflow=${workflow}`)).runs as { id: string }[];
        return list.length >= count ? list : undefined;
      });
      const details = [];
      for (const run of runs.reverse()) details.push(await h.waitForRun(key, run.id));
      return details;
    },
  };
}

export const always = { op: 'true', values: [true] };

/**
 * An activity's input as the interpreter passes it, for calling an action directly (a fresh Temporal workflow
 * id each time).
 */
export function actionInput(org: string, action: string, params: Record<string, unknown>): ActionInput {
  return {
    org,
    temporalWorkflowId: `run-test-${randomBytes(6).toString('hex')}`,
    definitionId: 'wf-test',
    stepId: 'step1',
    action,
    params: params as ActionInput['params'],
    depth: 0,
  };
}
