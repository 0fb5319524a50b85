import { randomBytes } from 'node:crypto';
import mongoose, { type Model } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, disconnectMongo } from '../../src/runtime/mongo';
import { ActionLogModel } from '../../src/models/action-log.model';
import { ConversationModel } from '../../src/models/conversation.model';
import { CustomerModel } from '../../src/models/customer.model';
import { EventModel } from '../../src/models/event.model';
import { MessageModel } from '../../src/models/message.model';
import { OrgModel } from '../../src/models/org.model';
import { RecordLockModel } from '../../src/models/record-lock.model';
import { WaitModel } from '../../src/models/wait.model';
import { WorkflowModel } from '../../src/models/workflow.model';
import { DeliveryModel } from '../../src/models/webhook-delivery.model';
import { WebhookModel } from '../../src/models/webhook.model';
import { mongoUriFor } from '../helpers/servers';

/**
 * Every query the hot path makes (API auth, event store and dispatch, record reads and updates, a
 * step's action log, record locks, the outbox sweeper) is answered from an index on the database the
 * tests run on: FerretDB on PostgreSQL (its plan names an index scan, never a sequential scan) or
 * MongoDB (no COLLSCAN). FerretDB on SQLite pushes down only an exact `{_id}` filter, so there the
 * queries on other fields are known to scan (README, "Performance"); there the checks are skipped.
 */

type Plan = 'index' | 'scan' | 'unknown';

function planOf(explain: unknown): Plan {
  const text = JSON.stringify(explain);
  if (/Seq Scan|COLLSCAN/.test(text)) return 'scan';
  if (/Index Scan|Index Only Scan|IXSCAN|IDHACK|EXPRESS_IXSCAN|CLUSTERED_IXSCAN/.test(text)) return 'index';
  return 'unknown';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one helper for every model
type AnyModel = Model<any>;

let backend: 'postgresql' | 'sqlite' | 'mongodb';
const org = `org-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  await connectMongo(mongoUriFor(`sb_indexes_${randomBytes(4).toString('hex')}`));
  // Tables (FerretDB) and collections exist once something is stored in them.
  const now = new Date();
  await OrgModel.create({ _id: org, name: 'o', apiKeyHash: `h-${org}` });
  await WorkflowModel.create({
    _id: 'wf1',
    org,
    name: 'w',
    eventName: 'bench.tag',
    enabled: true,
    formatVersion: 1,
    definitionJson: '{}',
    createdAt: now,
    updatedAt: now,
  });
  await EventModel.create({ _id: 'ev1', org, name: 'x', dataJson: '{}', source: 'api', status: 'pending' });
  await CustomerModel.create({
    _id: 'cu1',
    org,
    emailIndex: ['a@b.c'],
    externalId: 'x1',
    createdAt: now,
    updatedAt: now,
  });
  await ConversationModel.create({ _id: 'co1', org, customer: 'cu1', createdAt: now, updatedAt: now });
  await MessageModel.create({
    _id: 'me1',
    org,
    conversation: 'co1',
    customer: 'cu1',
    channel: 'email',
    direction: 'in',
    directionType: 'initial-in',
    createdAt: now,
    updatedAt: now,
  });
  await ActionLogModel.create({ _id: 'run:step', org, action: 'a', status: 'planned', planJson: '{}' });
  await RecordLockModel.create({ _id: 'conversation:co1', owner: 'me', takenAt: now });
  await WaitModel.create({
    _id: 'wa1',
    org,
    eventName: 'message.create',
    key: 'co1',
    temporalWorkflowId: 'run',
    stepId: 'step',
    createdAt: now,
  });
  await WebhookModel.create({ _id: 'wh1', org, url: 'https://example.com/', events: ['*'], secretSealed: 'x' });
  await DeliveryModel.create({ _id: 'msg_1', org, webhook: 'wh1', event: 'ev1', eventName: 'x' });
  const info = JSON.stringify(await mongoose.connection.db!.admin().command({ buildInfo: 1 }));
  const explain = JSON.stringify(await EventModel.find({ _id: 'ev1' }).explain());
  // PostgreSQL's plans are nodes ("Node Type"); SQLite's are lines of text ("SCAN ...", "SEARCH ...").
  backend = !info.includes('ferretdb') ? 'mongodb' : explain.includes('"Node Type"') ? 'postgresql' : 'sqlite';
});

afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await disconnectMongo();
});

const HOT_PATH: [string, AnyModel, Record<string, unknown>, Record<string, 1 | -1>?][] = [
  ['API key -> org', OrgModel, { apiKeyHash: 'h' }],
  ['workflows listening to an event', WorkflowModel, { org, eventName: 'bench.tag' }],
  ['enabled workflows (plan limit)', WorkflowModel, { org, enabled: true }],
  ['event by id (store, dispatch, mark dispatched)', EventModel, { _id: 'ev1' }],
  ['event of an org (GET /v1/events/:id)', EventModel, { _id: 'ev1', org }],
  [
    'outbox sweeper: pending events',
    EventModel,
    { status: 'pending', updatedAt: { $lt: new Date() } },
    { updatedAt: 1 },
  ],
  ['customer by id', CustomerModel, { _id: 'cu1', org }],
  ['customer by email', CustomerModel, { org, emailIndex: 'a@b.c' }],
  ['customer by external id', CustomerModel, { org, externalId: 'x1' }],
  ['conversation by id (read, lock, update)', ConversationModel, { _id: 'co1', org }],
  ["a conversation's messages", MessageModel, { org, conversation: 'co1' }, { createdAt: -1 }],
  ["a step's action log", ActionLogModel, { _id: 'run:step' }],
  ['record lock (take, release)', RecordLockModel, { _id: 'conversation:co1', owner: 'me' }],
  [
    'runs waiting for an event on a record (dispatch)',
    WaitModel,
    { org, eventName: 'message.create', key: { $in: ['me1', 'co1', 'cu1'] } },
  ],
  ["an org's enabled webhook subscriptions (dispatch, cached)", WebhookModel, { org, disabled: false }],
  ["a webhook's deliveries, newest first", DeliveryModel, { webhook: 'wh1' }, { createdAt: -1 }],
];

describe('hot-path queries', () => {
  it.for(HOT_PATH)('%s is answered from an index', async ([, model, filter, sort], ctx) => {
    // FerretDB on SQLite pushes down only `{_id}` filters: reported as skipped, never as passed.
    if (backend === 'sqlite') ctx.skip();
    const query = model.find(filter).limit(1);
    if (sort) query.sort(sort);
    const explain: unknown = await query.explain();
    expect(planOf(explain), JSON.stringify(explain).slice(0, 600)).toBe('index');
  });

  it('reports the backend it checked', () => {
    expect(['postgresql', 'sqlite', 'mongodb']).toContain(backend);
  });
});
