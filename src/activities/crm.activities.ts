import type { ActionName, ActionParams } from '../core/actions.catalog';
import type { JsonObject } from '../core/json';
import * as conversations from '../services/conversations.service';
import * as customers from '../services/customers.service';
import * as messages from '../services/messages.service';
import type { Writer } from '../services/records';
import { re2Match } from '../services/regex';
import type { ActionInput } from '../workflows/run.types';
import type { RestAction } from './rest.activities';
import { createdRecordId, oncePerStep, writeContext, type ActivityDeps } from './action-context';

type Handler<A extends ActionName> = (params: ActionParams<A>, input: ActionInput) => Promise<JsonObject>;
export type Handlers = { [A in ActionName]: Handler<A> };

/** Lookups that find nothing return an empty output rather than fail: authors branch on `exists`. */
const orEmpty = (record: JsonObject | undefined): JsonObject => record ?? {};

/**
 * A step writes through the same service calls as the API, with `oncePerStep` as its plan store, so
 * its writes are idempotent per (run, step) and publish the same events as the API's writes.
 */
function stepWriter(input: ActionInput, { events }: ActivityDeps): Writer {
  return {
    org: input.org,
    events,
    context: () => writeContext(input),
    store: { once: (makePlan, apply, fromStored) => oncePerStep(input, makePlan, apply, fromStored) },
  };
}

/** What each action does. Lookups read; writes go through the record services with the step's writer. */
export function crmHandlers(deps: ActivityDeps): Omit<Handlers, 'app.scheduler.schedule-workflow' | RestAction> {
  const writer = (input: ActionInput) => stepWriter(input, deps);
  return {
    'customer.find': async (p, input) => orEmpty(await customers.findCustomer(input.org, p.identifier)),
    'customer.find-by-email': async (p, input) => orEmpty(await customers.findCustomerByEmail(input.org, p.email)),
    'customer.find-by-external-id': async (p, input) =>
      orEmpty(await customers.findCustomerByExternalId(input.org, p.externalId)),
    'customer.create': (p, input) => {
      const { email, phone, ...fields } = p;
      const emails = [...(fields.emails ?? []), ...(email ? [{ email }] : [])];
      const phones = [...(fields.phones ?? []), ...(phone ? [{ phone }] : [])];
      return customers.createCustomer({ ...fields, emails, phones }, createdRecordId(input), writer(input));
    },
    'customer.update': (p, input) => {
      const { id, ...patch } = p;
      return customers.updateCustomer(id, patch, writer(input));
    },
    'conversation.find-by-id': async (p, input) => orEmpty(await conversations.getConversation(input.org, p.id)),
    'conversation.create': (p, input) => conversations.createConversation(p, createdRecordId(input), writer(input)),
    'conversation.update': (p, input) => {
      const { id, ...patch } = p;
      return conversations.editConversation(id, { type: 'conversation.patch', patch }, writer(input));
    },
    'conversation.append-tags': (p, input) =>
      conversations.editConversation(p.id, { type: 'conversation.append-tags', tags: p.tags }, writer(input)),
    'conversation.remove-tags': (p, input) =>
      conversations.editConversation(p.id, { type: 'conversation.remove-tags', tags: p.tags }, writer(input)),
    'conversation.assign-user': (p, input) =>
      conversations.editConversation(p.id, { type: 'conversation.assign-user', user: p.user }, writer(input)),
    'message.create': (p, input) =>
      messages.createMessage(
        { conversation: p.conversation, body: p.body, subject: p.subject, direction: 'out', channel: p.channel },
        createdRecordId(input),
        writer(input),
        input.temporalWorkflowId,
      ),
    'message.find-by-id': async (p, input) => orEmpty(await messages.getMessage(input.org, p.id)),
    'message.find-last': async (p, input) =>
      orEmpty(await messages.findLastMessage(input.org, p.conversation, p.direction)),
    'note.create': (p, input) => messages.createNote(p, createdRecordId(input), writer(input)),
    'regex-match.generic': async (p): Promise<JsonObject> => {
      const m = re2Match(p.regex, p.testString);
      return m ? { match: m.match, groups: m.groups, named: m.named } : {};
    },
  };
}
