import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../src/activities';
import type { JsonObject } from '../../src/core/json';
import { ActionLogModel } from '../../src/models/action-log.model';
import { EventModel } from '../../src/models/event.model';
import type { ActionInput, LegacyActionInput } from '../../src/workflows/run.types';
import { crm } from '../helpers/crm';
import { activitiesOf } from '../helpers/activities';
import { startHarness, type Harness } from '../helpers/harness';

/**
 * The activity boundary: `ActionInput` is stored in histories and in flight across deploys, so an
 * activity scheduled by a worker from before the rename (`runId`, `workflowId`) runs on this one with
 * the same idempotency keys, record ids and event origin as the current shape.
 */
let h: Harness;
let api: ReturnType<typeof crm>;
let org: string;
let activities: Activities;
const env = new MockActivityEnvironment();

beforeAll(async () => {
  h = await startHarness('activity-input');
  const created = await h.createOrg();
  org = created.id;
  api = crm(h, created.apiKey);
  activities = activitiesOf(h);
});
afterAll(() => h?.close());

describe('createActivities', () => {
  it('runs an input scheduled by an older worker as the same step as its current shape', async () => {
    const temporalWorkflowId = `run-legacy-${randomBytes(6).toString('hex')}`;
    const common = { org, stepId: 'step1', action: 'customer.create', params: { name: 'Old' }, depth: 0 };
    const legacy: LegacyActionInput = { ...common, runId: temporalWorkflowId, workflowId: 'wf-legacy' };
    const current: ActionInput = { ...common, temporalWorkflowId, definitionId: 'wf-legacy' };

    const fromLegacy = await env.run(activities['customer.create'], legacy);
    expect(await ActionLogModel.findById(`${temporalWorkflowId}:step1`).lean()).toMatchObject({ status: 'done' });
    const events = await EventModel.find({ org, 'origin.run': temporalWorkflowId }).lean();
    expect(events.map((e) => e.origin)).toEqual([
      expect.objectContaining({ run: temporalWorkflowId, workflow: 'wf-legacy', step: 'step1' }),
    ]);

    // The same step in the current shape finds what the legacy one stored: one customer, the same output.
    const fromCurrent = await env.run(activities['customer.create'], current);
    expect(fromCurrent).toEqual(fromLegacy);
    const customer = await api.call('GET', `/v1/customers/${(fromLegacy as JsonObject).id as string}`);
    expect(customer.name).toBe('Old');
    expect(await EventModel.countDocuments({ org, 'origin.run': temporalWorkflowId })).toBe(1);
  });
});
