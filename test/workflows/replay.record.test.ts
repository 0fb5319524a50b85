import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDevConfig } from '../../src/config';
import { createCallable, MATCH_STEP } from '../helpers/callables';
import { always, crm } from '../helpers/crm';
import { eventually, startHarness, type Harness } from '../helpers/harness';

/**
 * Re-records the interpreter histories that replay.test.ts replays. Skipped unless
 * RECORD_HISTORIES=1: recorded histories are fixtures, re-recorded only on purpose (a new one
 * before an interpreter change that needs a patch; never to make a failing replay pass).
 */
const RECORD = loadDevConfig().recordHistories;
const DIR = path.resolve(__dirname, '../fixtures/histories');
/**
 * What the interpreter does today, in the recorded files' names: recording never overwrites the histories
 * of earlier behaviour (those must keep replaying). `local-activities`: CRM actions as local activities
 * (patch `crm-actions-as-local-activities`); the files without a suffix were recorded before it.
 */
const BEHAVIOUR = 'local-activities';

let h: Harness;
let api: ReturnType<typeof crm>;

describe.runIf(RECORD)('record interpreter histories', () => {
  beforeAll(async () => {
    h = await startHarness('record');
    const created = await h.createOrg();
    api = crm(h, created.apiKey);
  });
  afterAll(() => h?.close());

  async function record(name: string, runId: string): Promise<void> {
    await h.waitForRun(api.key, runId);
    const history = await h.client.workflow.getHandle(runId).fetchHistory();
    writeFileSync(path.join(DIR, `${name}.${BEHAVIOUR}.history.json`), `${historyToJSON(history)}\n`);
  }

  it('records a run through branches, a regex condition, an error case and every kind of step', async () => {
    await api.createWorkflow({
      name: 'replay-branches',
      enabled: true,
      trigger: { eventName: 'replay.branches', transitions: [{ target: 'find' }] },
      steps: [
        {
          id: 'find',
          action: 'customer.find',
          params: { identifier: '/#steps.1.email' },
          transitions: [
            { target: 'route', condition: { op: 'exists', values: ['/#steps.find.id'] } },
            { target: 'create', condition: always },
          ],
        },
        {
          id: 'create',
          action: 'customer.create',
          params: { name: '{{toUpper steps.1.name}}', email: '/#steps.1.email' },
          transitions: [{ target: 'route' }],
        },
        {
          id: 'route',
          transitions: [
            { target: 'missing', condition: { op: 'regex', values: ['/#steps.1.email', '@example\\.com$'] } },
          ],
        },
        {
          id: 'missing',
          action: 'conversation.update',
          params: { id: 'nope', priority: '/#fn:parseInt,steps.1.priority' },
          errorCases: [{ target: 'capture', condition: { op: 'eq', values: ['/#error.code', 'not_found'] } }],
        },
        {
          id: 'capture',
          action: 'regex-match.generic',
          params: { testString: '{{{error.message}}}', regex: '"(\\w+)"' },
        },
      ],
    });
    const posted = await api.call(
      'POST',
      '/v1/events',
      { name: 'replay.branches', data: { email: 'nia@example.com', name: 'nia', priority: '3' } },
      202,
    );
    const run = await h.waitForRun(api.key, posted.runs[0].id);
    expect(run.steps.map((s: { id: string }) => s.id)).toEqual(['1', 'find', 'create', 'route', 'missing', 'capture']);
    await record('branches-error-case', posted.runs[0].id);
  });

  it('records a failed run', async () => {
    await api.createWorkflow({
      name: 'replay-fails',
      enabled: true,
      trigger: { eventName: 'replay.fails', transitions: [{ target: 'bad' }] },
      steps: [{ id: 'bad', action: 'customer.update', params: { id: '/#steps.1.missing', name: 'x' } }],
    });
    const posted = await api.call('POST', '/v1/events', { name: 'replay.fails', data: {} }, 202);
    await record('failed-run', posted.runs[0].id);
  });

  it('records a scheduled run: its timer, its fire-window slot, the callable it runs', async () => {
    const callable = await createCallable(h, api.key, [MATCH_STEP], 'replay-callable');
    await api.createWorkflow({
      name: 'replay-scheduler',
      enabled: true,
      trigger: { eventName: 'replay.schedules', transitions: [{ target: 'sched' }] },
      steps: [
        {
          id: 'sched',
          action: 'app.scheduler.schedule-workflow',
          params: { workflowId: callable, runAt: { type: 'relative', value: 1 }, inputs: { text: '/#steps.1.text' } },
        },
      ],
    });
    const posted = await api.call('POST', '/v1/events', { name: 'replay.schedules', data: { text: 'abb' } }, 202);
    const scheduler = await h.waitForRun(api.key, posted.runs[0].id);
    const scheduled = await h.waitForRun(api.key, scheduler.steps.at(-1).output.scheduledRunId);
    expect(scheduled.steps.map((s: { status: string }) => s.status)).toEqual(['completed', 'completed']);
    await record('scheduled-run', scheduled.id);
  });

  // The built-in steps (stored directly: their save-time validation lives on another branch).
  it('records a run through a delay, a wait-for-event answered by an event, and a respond', async () => {
    const workflow = (
      await api.createWorkflow({
        name: 'replay-waits',
        enabled: true,
        trigger: { eventName: 'kustomer.conversation.create', transitions: [{ target: 'pause' }] },
        steps: [
          { id: 'pause', action: 'delay', params: { duration: 'PT1S' }, transitions: [{ target: 'reply' }] },
          {
            id: 'reply',
            action: 'wait-for-event',
            params: {
              eventName: 'message.create',
              timeout: 'PT1H',
              condition: { op: 'regex', values: ['/#steps.reply.body', '^yes'] },
            },
            transitions: [{ target: 'answer' }],
          },
          { id: 'answer', action: 'workflow.respond', params: { outputs: { said: '/#steps.reply.event.data.body' } } },
        ],
      })
    ).id as string;
    const customer = await api.createCustomer({ name: 'Replay' });
    const conversation = await api.createConversation({ customer: customer.id, name: 'waits' });
    const runId: string = await eventually(async () => (await api.runsOf(workflow))[0]?.id);
    await eventually(async () =>
      (await api.call('GET', `/v1/runs/${runId}`)).waiting?.kind === 'event' ? true : undefined,
    );
    await api.createMessage({ conversation: conversation.id, channel: 'email', direction: 'in', body: 'no' });
    await api.createMessage({ conversation: conversation.id, channel: 'email', direction: 'in', body: 'yes please' });
    const run = await h.waitForRun(api.key, runId);
    expect(run.outputs).toEqual({ said: 'yes please' });
    await record('waits-respond', runId);
  });

  it('records a run calling a callable workflow', async () => {
    const callee = (
      await api.createWorkflow({
        name: 'replay-callee',
        enabled: true,
        trigger: { callable: true, transitions: [{ target: 'out' }] },
        steps: [{ id: 'out', action: 'workflow.respond', params: { outputs: { n: '/#steps.1.n' } } }],
      })
    ).id as string;
    const caller = (
      await api.createWorkflow({
        name: 'replay-caller',
        enabled: true,
        trigger: { eventName: 'replay.call', transitions: [{ target: 'ask' }] },
        steps: [{ id: 'ask', action: 'workflow.call', params: { workflowId: callee, inputs: { n: '/#steps.1.n' } } }],
      })
    ).id as string;
    const posted = await api.call('POST', '/v1/events', { name: 'replay.call', data: { n: 3 } }, 202);
    const run = await h.waitForRun(api.key, posted.runs[0].id);
    expect(run.steps[1].output).toEqual({ n: 3 });
    await record('call', posted.runs[0].id);
    await record('call-child', `${caller}-${posted.eventId}-call-ask`);
  });
});
