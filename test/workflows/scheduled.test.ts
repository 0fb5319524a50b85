import { randomBytes } from 'node:crypto';
import type { WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import type { JsonObject } from '../../src/core/json';
import { createLogger } from '../../src/logger';
import { callableEventName } from '../../src/core/names';
import { FireWindowModel } from '../../src/models/fire-window.model';
import { connectMongo, disconnectMongo } from '../../src/runtime/mongo';
import type { EventPublisher } from '../../src/services/events.types';
import { FIRE_WINDOW_MS, fireWindowStart, startScheduledRun } from '../../src/services/scheduled-runs.service';
import { createDefinition, replaceDefinition } from '../../src/services/workflows.service';
import { type scheduledRun } from '../../src/workflows';
import type { ScheduledRunState } from '../../src/workflows/scheduled.workflow';
import { runStateQuery } from '../../src/workflows/interpreter.messages';
import type { ActionInput } from '../../src/workflows/run.types';
import { failureCause, RETRY_DEFAULTS } from '../helpers/interpreter';
import { createTimeSkippingEnv, mongoUriFor, workflowBundle } from '../helpers/servers';

/**
 * The scheduledRun workflow on the time-skipping server with the real scheduling activities (fire window
 * and definitions in the test database); the callables run only `regex-match.generic` and
 * `app.scheduler.schedule-workflow`, which need no records. Small limits: 3 runs per window, chains of 3.
 */

const TASK_QUEUE = 'scheduled-test';
const RUNS_PER_WINDOW = 3;
const MAX_CHAIN_DEPTH = 3;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

const noEvents: EventPublisher = {
  publish: () => Promise.reject(new Error('these tests write no records')),
} as unknown as EventPublisher;

beforeAll(async () => {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  env = await createTimeSkippingEnv();
  await connectMongo(mongoUriFor(`sb_scheduled_${randomBytes(4).toString('hex')}`));
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: workflowBundle(),
    activities: createActivities({
      events: noEvents,
      logger: createLogger('silent', 'scheduled-test'),
      scheduling: {
        client: env.client,
        taskQueue: TASK_QUEUE,
        retry: RETRY_DEFAULTS,
        runsPerWindow: RUNS_PER_WINDOW,
        maxChainDepth: MAX_CHAIN_DEPTH,
        searchAttributes: false,
      },
    }),
  });
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await disconnectMongo();
  await env?.teardown();
});

const newOrg = () => `org-${randomBytes(4).toString('hex')}`;

/** A callable definition (named `workflow.<its id>.call` on save) running `steps`. */
async function callable(org: string, steps: JsonObject[]): Promise<string> {
  const created = await createDefinition(
    org,
    { name: 'callable', enabled: true, trigger: { callable: true, transitions: [{ target: 's1' }] }, steps },
    100,
  );
  return created.id;
}

const MATCH_STEP = { id: 's1', action: 'regex-match.generic', params: { testString: '/#steps.1.text', regex: 'b+' } };

let runs = 0;
async function schedule(
  org: string,
  definitionId: string,
  fireAt: number,
  inputs: JsonObject = {},
  chain = { root: `root-${runs + 1}`, depth: 1 },
): Promise<WorkflowHandle<typeof scheduledRun>> {
  const id = `scheduled-${++runs}`;
  await startScheduledRun(
    env.client,
    TASK_QUEUE,
    id,
    {
      org,
      definitionId,
      fireAt: new Date(fireAt).toISOString(),
      inputs,
      chain,
      depth: 0,
      retry: RETRY_DEFAULTS,
    },
    { searchAttributes: false },
  );
  return env.client.workflow.getHandle<typeof scheduledRun>(id);
}

describe('scheduledRun', () => {
  it('runs the callable with its inputs at the fire time', async () => {
    const org = newOrg();
    const id = await callable(org, [MATCH_STEP]);
    const fireAt = (await env.currentTimeMs()) + 3_600_000;
    const state = await (await schedule(org, id, fireAt, { text: 'abbc' })).result();
    expect(state.steps.map((s) => [s.id, s.action, s.status])).toEqual([
      ['1', callableEventName(id), 'completed'],
      ['s1', 'regex-match.generic', 'completed'],
    ]);
    expect(state.steps[1]?.output).toMatchObject({ match: 'bb' });
    expect(Date.parse(state.firedAt ?? '')).toBeGreaterThanOrEqual(fireAt);
  });

  it('runs nothing when cancelled before it fires', async () => {
    const org = newOrg();
    const id = await callable(org, [MATCH_STEP]);
    const handle = await schedule(org, id, (await env.currentTimeMs()) + 3_600_000, { text: 'b' });
    // Wait for the timer to be set (the first workflow task done), then cancel: time skips only while a result is awaited.
    expect((await handle.query(runStateQuery)).steps).toEqual([]);
    await handle.cancel();
    expect(await failureCause(handle)).toBeInstanceOf(CancelledFailure);
    const state = (await handle.query(runStateQuery)) as ScheduledRunState;
    expect(state.steps).toEqual([]);
    expect(state.firedAt).toBeUndefined();
    expect(await FireWindowModel.countDocuments({ org })).toBe(0);
  });

  it("delays runs past the org's window cap to the next window, dropping none", async () => {
    const org = newOrg();
    const id = await callable(org, [MATCH_STEP]);
    const window = fireWindowStart(await env.currentTimeMs()) + 2 * FIRE_WINDOW_MS;
    const handles: WorkflowHandle<typeof scheduledRun>[] = [];
    for (let i = 0; i < RUNS_PER_WINDOW + 1; i++) handles.push(await schedule(org, id, window + 60_000, { text: 'b' }));
    // One result at a time: each awaited result unlocks time skipping while it waits, then locks it again.
    const states: ScheduledRunState[] = [];
    for (const handle of handles) states.push(await handle.result());
    expect(states.every((s) => s.steps.at(-1)?.status === 'completed')).toBe(true);
    const fired = states.map((s) => fireWindowStart(Date.parse(s.firedAt ?? '')));
    expect(fired.filter((w) => w === window)).toHaveLength(RUNS_PER_WINDOW);
    const delayed = states.filter((s) => s.delayedUntil !== undefined);
    expect(delayed).toHaveLength(1);
    expect(delayed[0]?.delayedUntil).toBe(new Date(window + FIRE_WINDOW_MS).toISOString());
    expect(fireWindowStart(Date.parse(delayed[0]?.firedAt ?? ''))).toBe(window + FIRE_WINDOW_MS);
    const counts = await FireWindowModel.find({ org }).sort({ windowStart: 1 }).lean();
    expect(counts.map((c) => c.count)).toEqual([RUNS_PER_WINDOW, 1]);
  });

  it('stops a self-scheduling chain at its depth limit', async () => {
    const org = newOrg();
    const id = await callable(org, [MATCH_STEP]);
    // The callable schedules itself; each link's step id is the same, each run's id differs.
    await replaceDefinition(
      org,
      id,
      {
        steps: [
          {
            id: 's1',
            action: 'kustomer.app.scheduler.schedule-workflow',
            params: { workflowId: id, runAt: { type: 'relative', value: 'PT1M' }, inputs: { n: '/#steps.1.n' } },
          },
        ],
      },
      100,
    );
    let handle = await schedule(
      org,
      id,
      (await env.currentTimeMs()) + 1000,
      { n: 1 },
      { root: 'chain-root', depth: 1 },
    );
    const links: string[] = [handle.workflowId];
    for (;;) {
      let state: ScheduledRunState;
      try {
        state = await handle.result();
      } catch (error) {
        const cause = (error as WorkflowFailedError).cause;
        expect(cause).toBeInstanceOf(ApplicationFailure);
        expect((cause as ApplicationFailure).type).toBe('schedule_chain_limit');
        const failed = (await handle.query(runStateQuery)).steps.at(-1);
        expect(failed?.error?.code).toBe('schedule_chain_limit');
        break;
      }
      const next = (state.steps.at(-1)?.output as { scheduledRunId?: string } | null)?.scheduledRunId;
      expect(next).toBeDefined();
      handle = env.client.workflow.getHandle<typeof scheduledRun>(next!);
      links.push(next!);
      expect(links.length).toBeLessThanOrEqual(MAX_CHAIN_DEPTH);
    }
    expect(links).toHaveLength(MAX_CHAIN_DEPTH);
    // Every link but the first carries the chain: root and depth.
    const memo = (await env.client.workflow.getHandle(links.at(-1)!).describe()).memo;
    expect(memo?.chain).toMatchObject({ root: 'chain-root', depth: MAX_CHAIN_DEPTH });
  });

  it('fails with a clear code when the target is not callable', async () => {
    const org = newOrg();
    const created = await createDefinition(
      org,
      {
        name: 'plain',
        enabled: true,
        trigger: { eventName: 'test.event', transitions: [{ target: 's1' }] },
        steps: [MATCH_STEP],
      },
      100,
    );
    const handle = await schedule(org, created.id, await env.currentTimeMs());
    expect((await failureCause(handle)) as ApplicationFailure).toMatchObject({ type: 'schedule_target_not_callable' });
    const missing = await schedule(org, 'no-such-workflow', await env.currentTimeMs());
    expect((await failureCause(missing)) as ApplicationFailure).toMatchObject({ type: 'schedule_target_not_found' });
    expect((await missing.query(runStateQuery)).steps[0]?.error?.code).toBe('schedule_target_not_found');
  });
});

// ActionInput carries the chain to the schedule action (type-level: the interpreter passes RunInput.chain).
const _chainOnActionInput: Pick<ActionInput, 'chain'> = { chain: { root: 'r', depth: 1 } };
void _chainOnActionInput;
