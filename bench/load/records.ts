import { performance } from 'node:perf_hooks';
import { EventModel } from '../../src/models/event.model';
import { newId } from '../../src/models/ids';
import { ConversationModel } from '../../src/models/conversation.model';
import { CustomerModel } from '../../src/models/customer.model';
import { MessageModel } from '../../src/models/message.model';
import {
  CONVERSATION,
  CUSTOMER,
  MESSAGE,
  type ConversationJson,
  type CustomerJson,
  type MessageJson,
  type RecordJson,
  type RecordKind,
  type RecordKindName,
} from '../../src/services/records';

/**
 * Realistic CRM data written straight into the database, in the shape the services store (the JSON
 * form a service plans, through the record kind's `toDoc`, with `_id`, `org` and the model's
 * defaults), in bulk. Each customer has a distinct name, email, phone and external id; each has one
 * conversation with one inbound email message; each record's create event is stored as dispatched.
 */

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Radia',
  'Linus',
  'Margaret',
  'Dennis',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Perlman',
  'Torvalds',
  'Hamilton',
  'Ritchie',
];
const SUBJECTS = [
  'Where is my order?',
  'Refund request',
  'Cannot log in',
  'Invoice question',
  'Change of address',
  'Damaged item',
];
const PLANS = ['free', 'pro', 'enterprise'];
const DAY_MS = 86_400_000;
const EPOCH = Date.UTC(2025, 0, 1);

export interface RecordSet {
  customer: CustomerJson;
  conversation: ConversationJson;
  message: MessageJson;
}

/** Record set `i` of a series tagged `tag` (tags keep emails and external ids distinct across series). */
export function recordSet(tag: string, i: number): RecordSet {
  const first = FIRST[i % FIRST.length] ?? 'Sam';
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length] ?? 'Doe';
  const created = new Date(EPOCH + (i % 365) * DAY_MS + (i % 86_400) * 1000).toISOString();
  const customerId = newId();
  const conversationId = newId();
  const subject = SUBJECTS[i % SUBJECTS.length] ?? 'Hello';
  const customer: CustomerJson = {
    id: customerId,
    name: `${first} ${last}`,
    emails: [{ email: `${first}.${last}.${tag}${i}@example.com`.toLowerCase(), type: 'home' }],
    phones: [{ phone: `+1555${String(i % 10_000_000).padStart(7, '0')}` }],
    externalId: `crm-${tag}-${i}`,
    custom: { plan: PLANS[i % PLANS.length] ?? 'free', signupYear: 2015 + (i % 10), vip: i % 17 === 0 },
    createdAt: created,
    updatedAt: created,
  };
  const conversation: ConversationJson = {
    id: conversationId,
    customer: customerId,
    name: subject,
    channels: ['email'],
    status: i % 5 === 0 ? 'done' : 'open',
    priority: 1 + (i % 5),
    tags: i % 3 === 0 ? ['billing'] : [],
    assignedUsers: [],
    snoozedUntil: null,
    custom: {},
    messageCount: 1,
    lastMessageAt: created,
    lastMessageInAt: created,
    lastMessageOutAt: null,
    createdAt: created,
    updatedAt: created,
  };
  const message: MessageJson = {
    id: newId(),
    conversation: conversationId,
    customer: customerId,
    channel: 'email',
    direction: 'in',
    directionType: 'initial-in',
    subject,
    body: `Hello, this is ${first} ${last}. ${subject} My reference is ${tag}-${i}. Thanks!`,
    createdAt: created,
    updatedAt: created,
  };
  return { customer, conversation, message };
}

/** The stored document of a record, as `applyCreate` writes it. */
const stored = <K extends RecordKindName>(
  kind: RecordKind<K>,
  org: string,
  json: RecordJson<K>,
): Record<string, unknown> => ({
  _id: json.id,
  org,
  ...kind.toDoc(json),
});

/** The stored create event of a record, dispatched, as the event service leaves it. */
function storedEvent<K extends RecordKindName>(
  org: string,
  name: string,
  kind: K,
  json: RecordJson<K>,
): Record<string, unknown> {
  const at = new Date(String(json.createdAt));
  return {
    _id: newId(),
    org,
    name,
    dataJson: JSON.stringify(json),
    source: 'api',
    depth: 0,
    write: { kind, id: json.id },
    status: 'dispatched',
    runs: [],
    skipped: [],
    createdAt: at,
    updatedAt: at,
  };
}

const INSERT = { ordered: false } as const;

/** Customers with one conversation each (no messages): the per-event conversations of a scenario. */
export async function insertConversations(org: string, tag: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let from = 0; from < n; from += 1000) {
    const sets = Array.from({ length: Math.min(1000, n - from) }, (_, k) => recordSet(tag, from + k));
    await CustomerModel.insertMany(
      sets.map((s) => stored(CUSTOMER, org, s.customer)),
      INSERT,
    );
    await ConversationModel.insertMany(
      sets.map((s) =>
        stored(CONVERSATION, org, { ...s.conversation, messageCount: 0, lastMessageAt: null, lastMessageInAt: null }),
      ),
      INSERT,
    );
    ids.push(...sets.map((s) => s.conversation.id));
  }
  return ids;
}

export interface LoadResult {
  requested: number;
  customers: number;
  conversations: number;
  messages: number;
  events: number;
  ms: number;
  /** False when the deadline cut the load short. */
  complete: boolean;
}

/**
 * `n` customers, `n` conversations, `n` messages and `n` events (a third each of customer.create,
 * conversation.create and message.create), in batches of `batch`, two batches in flight.
 */
export async function loadRecords(
  org: string,
  n: number,
  opts: { batch?: number; deadlineMs: number; progress: (message: string) => void },
): Promise<LoadResult> {
  const batch = opts.batch ?? 1000;
  const start = performance.now();
  const result: LoadResult = {
    requested: n,
    customers: 0,
    conversations: 0,
    messages: 0,
    events: 0,
    ms: 0,
    complete: true,
  };
  let next = 0;
  let lastReport = start;
  const loadBatch = async (from: number): Promise<void> => {
    const sets = Array.from({ length: Math.min(batch, n - from) }, (_, k) => recordSet('g', from + k));
    const events = sets.map((s, k) => {
      const i = from + k;
      if (i % 3 === 0) return storedEvent(org, 'customer.create', 'customer', s.customer);
      if (i % 3 === 1) return storedEvent(org, 'conversation.create', 'conversation', s.conversation);
      return storedEvent(org, 'message.create', 'message', s.message);
    });
    await CustomerModel.insertMany(
      sets.map((s) => stored(CUSTOMER, org, s.customer)),
      INSERT,
    );
    result.customers += sets.length;
    await ConversationModel.insertMany(
      sets.map((s) => stored(CONVERSATION, org, s.conversation)),
      INSERT,
    );
    result.conversations += sets.length;
    await MessageModel.insertMany(
      sets.map((s) => stored(MESSAGE, org, s.message)),
      INSERT,
    );
    result.messages += sets.length;
    await EventModel.insertMany(events, { ...INSERT, timestamps: false });
    result.events += sets.length;
  };
  const worker = async (): Promise<void> => {
    while (next < n) {
      if (performance.now() - start > opts.deadlineMs) {
        result.complete = false;
        return;
      }
      const from = next;
      next += batch;
      await loadBatch(from);
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        const rate = (result.customers * 4 * 1000) / (lastReport - start);
        opts.progress(`loaded ${result.customers}/${n} record sets (${rate.toFixed(0)} documents/s)`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  result.ms = performance.now() - start;
  return result;
}
