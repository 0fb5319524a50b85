import { Router, type Response } from 'express';
import { z } from 'zod';
import {
  ConversationFieldsSchema,
  ConversationPatchSchema,
  CustomerFieldsSchema,
  MessageFieldsSchema,
} from '../../core/records.schema';
import { NotFoundError, ValidationError } from '../../errors';
import { newId } from '../../models/ids';
import * as conversations from '../../services/conversations.service';
import * as customers from '../../services/customers.service';
import type { EventPublisher, WriteContext } from '../../services/events.types';
import * as messages from '../../services/messages.service';
import { applyMessagePlan, applyPlan, CONVERSATION, CUSTOMER } from '../../services/records';
import { orgOf, parse } from '../http';

const IdParams = z.object({ id: z.string().min(1).max(100) });
const CustomerQuery = z.strictObject({
  email: z.string().min(1).optional(),
  externalId: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/**
 * API writes publish their events at depth 0 under a fresh event id, which the response names in
 * the `Event-Id` header so a client can ask `GET /v1/events/:id` what the write triggered.
 */
function apiWrite(res: Response): WriteContext {
  const eventId = newId();
  res.set('Event-Id', eventId);
  return { org: orgOf(res), eventId, depth: 0, source: 'api' };
}

const found = <T>(what: string, id: string, record: T | undefined): T => {
  if (record === undefined) throw new NotFoundError(what, id);
  return record;
};

/** Customers, conversations and messages: every create or change publishes its event. */
export function recordsRouter(events: EventPublisher): Router {
  const router = Router();

  router.post('/customers', async (req, res) => {
    const fields = parse(CustomerFieldsSchema, req.body);
    const plan = customers.planCustomerCreate(fields, newId(), new Date());
    res.status(201).json(await applyPlan(CUSTOMER, plan, apiWrite(res), events));
  });
  router.get('/customers', async (req, res) => {
    const query = parse(CustomerQuery, req.query, ['query']);
    if (!query.email && !query.externalId) {
      throw new ValidationError([{ path: 'query', message: 'give email or externalId' }]);
    }
    const { limit, ...by } = query;
    res.json({ customers: await customers.listCustomers(orgOf(res), by, limit) });
  });
  router.get('/customers/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(found('customer', id, await customers.getCustomer(orgOf(res), id)));
  });
  router.patch('/customers/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    const patch = parse(CustomerFieldsSchema, req.body);
    const plan = await customers.planCustomerUpdate(orgOf(res), id, patch, new Date());
    res.json(await applyPlan(CUSTOMER, plan, apiWrite(res), events));
  });

  router.post('/conversations', async (req, res) => {
    const fields = parse(ConversationFieldsSchema, req.body);
    const plan = await conversations.planConversationCreate(orgOf(res), fields, newId(), new Date());
    res.status(201).json(await applyPlan(CONVERSATION, plan, apiWrite(res), events));
  });
  router.get('/conversations/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(found('conversation', id, await conversations.getConversation(orgOf(res), id)));
  });
  router.patch('/conversations/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    const patch = parse(ConversationPatchSchema, req.body);
    const plan = await conversations.planConversationEdit(
      orgOf(res),
      id,
      { type: 'conversation.patch', patch },
      new Date(),
    );
    res.json(await applyPlan(CONVERSATION, plan, apiWrite(res), events));
  });
  router.get('/conversations/:id/messages', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    found('conversation', id, await conversations.getConversation(orgOf(res), id));
    res.json({ messages: await messages.listMessages(orgOf(res), id) });
  });

  router.post('/messages', async (req, res) => {
    const fields = parse(MessageFieldsSchema, req.body);
    const plan = await messages.planMessageCreate(orgOf(res), fields, newId(), new Date());
    res.status(201).json(await applyMessagePlan(plan, apiWrite(res), events));
  });
  router.get('/messages/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(found('message', id, await messages.getMessage(orgOf(res), id)));
  });

  return router;
}
