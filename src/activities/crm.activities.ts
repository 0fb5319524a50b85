import type { ActionName, ActionParams } from '../core/actions.catalog';
import type { JsonObject } from '../core/json';
import * as conversations from '../services/conversations.service';
import * as customers from '../services/customers.service';
import * as messages from '../services/messages.service';
import { applyMessagePlan, applyPlan, CONVERSATION, CUSTOMER, NOTE, type RecordEdit } from '../services/records';
import { re2Match } from '../services/regex';
import type { ActionInput } from '../workflows/run.types';
import { createdRecordId, oncePerStep, writeContext, type ActivityDeps } from './action-context';

type Handler<A extends ActionName> = (params: ActionParams<A>, input: ActionInput) => Promise<JsonObject>;
export type Handlers = { [A in ActionName]: Handler<A> };

/** Lookups that find nothing return an empty output rather than fail: authors branch on `exists`. */
const orEmpty = (record: JsonObject | undefined): JsonObject => record ?? {};

/**
 * What each action does. Lookups read; writes go through `oncePerStep` with a plan, so they are
 * idempotent per (run, step), and publish the same events as the API's writes.
 */
export function crmHandlers({ events }: ActivityDeps): Handlers {
  const editConversation = (input: ActionInput, id: string, edit: RecordEdit) =>
    oncePerStep(
      input,
      () => conversations.planConversationEdit(input.org, id, edit, new Date()),
      (plan, save) => applyPlan(CONVERSATION, plan, writeContext(input), events, save),
    );

  return {
    'customer.find': async (p, input) => orEmpty(await customers.findCustomer(input.org, p.identifier)),
    'customer.find-by-email': async (p, input) => orEmpty(await customers.findCustomerByEmail(input.org, p.email)),
    'customer.find-by-external-id': async (p, input) =>
      orEmpty(await customers.findCustomerByExternalId(input.org, p.externalId)),
    'customer.create': (p, input) => {
      const { email, phone, ...fields } = p;
      const emails = [...(fields.emails ?? []), ...(email ? [{ email }] : [])];
      const phones = [...(fields.phones ?? []), ...(phone ? [{ phone }] : [])];
      return oncePerStep(
        input,
        async () => customers.planCustomerCreate({ ...fields, emails, phones }, createdRecordId(input), new Date()),
        (plan) => applyPlan(CUSTOMER, plan, writeContext(input), events),
      );
    },
    'customer.update': (p, input) => {
      const { id, ...patch } = p;
      return oncePerStep(
        input,
        () => customers.planCustomerUpdate(input.org, id, patch, new Date()),
        (plan, save) => applyPlan(CUSTOMER, plan, writeContext(input), events, save),
      );
    },
    'conversation.find-by-id': async (p, input) => orEmpty(await conversations.getConversation(input.org, p.id)),
    'conversation.create': (p, input) =>
      oncePerStep(
        input,
        () => conversations.planConversationCreate(input.org, p, createdRecordId(input), new Date()),
        (plan) => applyPlan(CONVERSATION, plan, writeContext(input), events),
      ),
    'conversation.update': (p, input) => {
      const { id, ...patch } = p;
      return editConversation(input, id, { type: 'conversation.patch', patch });
    },
    'conversation.append-tags': (p, input) =>
      editConversation(input, p.id, { type: 'conversation.append-tags', tags: p.tags }),
    'conversation.remove-tags': (p, input) =>
      editConversation(input, p.id, { type: 'conversation.remove-tags', tags: p.tags }),
    'conversation.assign-user': (p, input) =>
      editConversation(input, p.id, { type: 'conversation.assign-user', user: p.user }),
    'message.create': (p, input) =>
      oncePerStep(
        input,
        async () => {
          const fields = { conversation: p.conversation, body: p.body, subject: p.subject, direction: 'out' as const };
          return messages.planMessageCreate(
            input.org,
            { ...fields, channel: p.channel ?? (await defaultChannel(input.org, p.conversation)) },
            createdRecordId(input),
            new Date(),
          );
        },
        (plan, save) =>
          applyMessagePlan(plan, writeContext(input), events, { createdByRun: input.temporalWorkflowId, save }),
      ),
    'message.find-by-id': async (p, input) => orEmpty(await messages.getMessage(input.org, p.id)),
    'message.find-last': async (p, input) =>
      orEmpty(await messages.findLastMessage(input.org, p.conversation, p.direction)),
    'note.create': (p, input) =>
      oncePerStep(
        input,
        () => messages.planNoteCreate(input.org, p, createdRecordId(input), new Date()),
        (plan) => applyPlan(NOTE, plan, writeContext(input), events),
      ),
    'regex-match.generic': async (p): Promise<JsonObject> => {
      const m = re2Match(p.regex, p.testString);
      return m ? { match: m.match, groups: m.groups, named: m.named } : {};
    },
  };
}

/** An automated reply goes out on the channel the customer last wrote on, else the conversation's first. */
async function defaultChannel(org: string, conversation: string): Promise<string> {
  const lastIn = await messages.findLastMessage(org, conversation, 'in');
  if (typeof lastIn?.channel === 'string') return lastIn.channel;
  const record = await conversations.getConversation(org, conversation);
  const channels = (record?.channels ?? []) as string[];
  return channels[0] ?? 'email';
}
