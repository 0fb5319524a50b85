import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';
import { EventModel } from '../../src/models/event.model';
import { newId } from '../../src/models/ids';
import { planCustomerCreate } from '../../src/services/customers.service';
import { eventServiceFromConfig } from '../../src/services/events.service';
import type { EventPublisher } from '../../src/services/events.types';
import { applyCreate } from '../../src/services/records';
import { crm } from '../helpers/crm';
import { startHarness, type Harness } from '../helpers/harness';

/**
 * A process that dies after writing a record but before dispatching its event loses nothing: the
 * event was stored first, and the sweeper dispatches it once it sees the write happened.
 */
let h: Harness;
let api: ReturnType<typeof crm>;
let org: string;
let events: ReturnType<typeof eventServiceFromConfig>;

beforeAll(async () => {
  h = await startHarness('outbox');
  const created = await h.createOrg();
  org = created.id;
  api = crm(h, created.apiKey);
  events = eventServiceFromConfig(h.config, h.client, createLogger('silent', 'test'));
});
afterAll(() => h?.close());

/** The real publisher, except that the process "dies" when it would dispatch. */
const crashingBeforeDispatch = (): EventPublisher => ({
  record: (input) => events.record(input),
  dispatch: () => Promise.reject(new Error('process died')),
  publish: () => Promise.reject(new Error('process died')),
});

describe('event sweeper', () => {
  it('dispatches an event whose write happened before the process died', async () => {
    const wf = await api.createWorkflow({
      name: 'welcome',
      enabled: true,
      trigger: { eventName: 'customer.create', transitions: [{ target: 'mark' }] },
      steps: [
        { id: 'mark', action: 'customer.update', params: { id: '/#steps.1.id', custom: { welcomedBool: true } } },
      ],
    });
    const eventId = newId();
    const plan = planCustomerCreate({ name: 'Pat' }, newId(), new Date());
    const write = { org, eventId, depth: 0, source: 'api' as const };
    await expect(applyCreate(plan, write, crashingBeforeDispatch())).rejects.toThrow('process died');
    expect((await EventModel.findById(eventId).lean())?.status).toBe('pending');

    expect(await events.sweep(0)).toMatchObject({ dispatched: 1 });
    const event = await api.event(eventId);
    expect(event.runs).toEqual([expect.objectContaining({ workflow: wf.id })]);
    const run = await h.waitForRun(api.key, event.runs[0].id);
    expect(run.status).toBe('completed');
    expect((await api.call('GET', `/v1/customers/${plan.record.id}`)).custom).toEqual({ welcomedBool: true });
    // A second sweep finds nothing left to do.
    expect(await events.sweep(0)).toEqual({ dispatched: 0, voided: 0 });
  });

  it('voids an event whose write never happened', async () => {
    const eventId = newId();
    await events.record({
      org,
      id: eventId,
      name: 'customer.create',
      data: { id: 'never-written' },
      depth: 0,
      source: 'api',
      write: { kind: 'customer', id: 'never-written' },
    });
    expect(await events.sweep(0)).toMatchObject({ voided: 1 });
    const stored = await EventModel.findById(eventId).lean();
    expect(stored).toMatchObject({ status: 'void', runs: [] });
  });
});
