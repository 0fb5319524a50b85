import { ConditionSchema, type Condition } from '../src/core/definition.schema';
import type { EvalContext } from '../src/core/context';
import type { JsonObject, JsonValue } from '../src/core/json';
import reference from '../test/fixtures/definitions/closed-conversation-followup.workflow.json';

/** Inputs shared by the core benchmarks: the reference example's data, and a large valid definition. */

/** The reference example's trigger condition: and[eq, or[contains, gt]] (three levels). */
export const triggerCondition: Condition = ConditionSchema.parse(reference.trigger.transitions[0]?.condition);

/** A single `eq` leaf, the cheapest useful condition. */
export const eqCondition: Condition = { op: 'eq', values: ['/#steps.1.changes.attributes.status.after', 'done'] };

/**
 * A closed conversation on chat with a long thread: `eq` holds, `contains` fails, `gt` holds, so
 * every leaf of the trigger condition is evaluated (no short-circuit) and the result is true.
 */
export const event: JsonObject = {
  id: 'conv-5f3a9c',
  customer: 'cust-81b2',
  subject: 'Where is order 4711?',
  channels: ['chat', 'sms'],
  messageCount: 7,
  createdAt: '2024-05-01T10:00:00Z',
  changes: { attributes: { status: { before: 'open', after: 'done' } } },
  custom: { orderNumberStr: 'ord-4711', totalStr: '129.90' },
};

export const ctx: EvalContext = {
  now: Date.UTC(2024, 4, 2, 12),
  steps: {
    '1': event,
    lookupCustomer: {
      id: 'cust-81b2',
      name: 'Ada Lovelace',
      emails: [{ email: 'ada@example.com' }],
      custom: { vipBool: true },
    },
  },
};

/** 16 params: 10 references, 3 `/#fn:` calls, 3 Handlebars templates. */
export const params: Record<string, JsonValue> = {
  conversation: '/#steps.1.id',
  customer: '/#steps.1.customer',
  status: '/#steps.1.changes.attributes.status.after',
  channels: '/#steps.1.channels',
  messageCount: '/#steps.1.messageCount',
  subject: '/#steps.1.subject',
  order: '/#steps.1.custom.orderNumberStr',
  name: '/#steps.lookupCustomer.name',
  vip: '/#steps.lookupCustomer.custom.vipBool',
  customerId: '/#steps.lookupCustomer.id',
  total: '/#fn:parseInt,steps.1.custom.totalStr',
  opened: '/#fn:dateFormat,steps.1.createdAt,MMM D, YYYY',
  phone: '/#fn:ifExists,steps.lookupCustomer.phone,none',
  body: 'VIP {{{steps.lookupCustomer.name}}} closed a conversation after {{{steps.1.messageCount}}} messages.',
  orderUpper: '{{toUpper steps.1.custom.orderNumberStr}}',
  tier: '{{#if steps.lookupCustomer.custom.vipBool}}vip{{else}}regular{{/if}}',
};

/** What `resolveParams(params, ctx)` must give; checked once so a benchmark never measures a broken path. */
export const expectedParams: Record<string, JsonValue> = {
  conversation: 'conv-5f3a9c',
  customer: 'cust-81b2',
  status: 'done',
  channels: ['chat', 'sms'],
  messageCount: 7,
  subject: 'Where is order 4711?',
  order: 'ord-4711',
  name: 'Ada Lovelace',
  vip: true,
  customerId: 'cust-81b2',
  total: 129,
  opened: 'May 1, 2024',
  phone: 'none',
  body: 'VIP Ada Lovelace closed a conversation after 7 messages.',
  orderUpper: 'ORD-4711',
  tier: 'vip',
};

const sid = (i: number): string => `s${i}`;

/** Params for step `i`: a reference, a template reading the previous step, and (every 4th kind) a regex literal. */
function stepAction(i: number): { action: string; params: JsonObject } {
  const prev = i === 0 ? '1' : sid(i - 1);
  switch (i % 4) {
    case 0:
      return {
        action: 'kustomer.conversation.append-tags',
        params: { id: '/#steps.1.id', tags: [`{{toLower steps.${prev}.name}}`, 'bench'] },
      };
    case 1:
      return {
        action: 'message.create',
        params: {
          conversation: '/#steps.1.id',
          body: `Hi {{{steps.1.customer}}}, order {{{steps.1.custom.orderNumberStr}}} ({{steps.${prev}.id}})`,
        },
      };
    case 2:
      return { action: 'conversation.assign-user', params: { id: '/#steps.1.id', user: `/#steps.${prev}.id` } };
    default:
      return {
        action: 'regex-match.generic',
        params: { testString: '/#steps.1.subject', regex: `order[- ](\\d+)-${i}` },
      };
  }
}

/**
 * A valid definition of `n` steps (the schema's maximum is 250): a chain s0 -> s1 -> ... where every
 * 5th step may skip one ahead on a nested condition, and every 25th has an error case. Params read
 * the previous step, so validation must compute which steps ran before each one.
 */
export function largeDefinition(n = 250): JsonObject {
  const steps: JsonObject[] = [];
  for (let i = 0; i < n; i++) {
    const transitions: JsonObject[] = [];
    if (i % 5 === 0 && i + 2 < n) {
      transitions.push({
        target: sid(i + 2),
        condition: {
          op: 'and',
          values: [
            { op: 'contains', values: ['/#steps.1.channels', 'email'] },
            {
              op: 'or',
              values: [
                { op: 'gt', values: [`/#fn:parseInt,steps.${sid(i)}.count`, 3] },
                { op: 'regex', values: ['/#steps.1.subject', '(?i)urgent'] },
              ],
            },
          ],
        },
      });
    }
    if (i + 1 < n) {
      transitions.push({ target: sid(i + 1), condition: { op: 'eq', values: [`/#steps.${sid(i)}.status`, 'ok'] } });
    }
    const errorCases: JsonObject[] =
      i % 25 === 24 && i + 1 < n
        ? [{ target: sid(i + 1), condition: { op: 'contains', values: ['/#error.message', 'timeout'] } }]
        : [];
    steps.push({ id: sid(i), ...stepAction(i), transitions, errorCases, meta: { displayName: `Step ${i}` } });
  }
  return {
    name: `bench-${n}-steps`,
    description: 'A long chain with branches, for save-time validation cost',
    enabled: true,
    trigger: {
      eventName: 'kustomer.conversation.update',
      transitions: [{ target: sid(0), condition: triggerCondition }],
    },
    steps,
  };
}
