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
import type { EventPublisher } from '../../services/events.types';
import * as messages from '../../services/messages.service';
import type { Writer } from '../../services/records';
import { orgOf, parse } from '../http';

const IdParams = z.object({ id: z.string().min(1).max(100) });
const CustomerQuery = z.strictObject({
  email: z.string().min(1).optional(),
  externalId: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/**
 * API writes publish their events at depth 0 under a fresh event id, which the response names in
 * the `Event-Id` header so a client can ask `GET /v1/events/:id` what the write triggered. They plan
 * and apply at once (no plan store).
 */
function apiWriter(res: Response, events: EventPublisher): Writer {
  return {
    org: orgOf(res),
    events,
    context: () => {
      const eventId = newId();
      res.set('Event-Id', eventId);
      return { org: orgOf(res), eventId, depth: 0, source: 'api' };
    },
  };
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
    res.status(201).json(await customers.createCustomer(fields, newId(), apiWriter(res, events)));
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
    res.json(await customers.updateCustomer(id, patch, apiWriter(res, events)));
  });

  router.post('/conversations', async (req, res) => {
    const fields = parse(ConversationFieldsSchema, req.body);
    res.status(201).json(await conversations.createConversation(fields, newId(), apiWriter(res, events)));
  });
  router.get('/conversations/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(found('conversation', id, await conversations.getConversation(orgOf(res), id)));
  });
  router.patch('/conversations/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    const patch = parse(ConversationPatchSchema, req.body);
    res.json(await conversations.editConversation(id, { type: 'conversation.patch', patch }, apiWriter(res, events)));
  });
  router.get('/conversations/:id/messages', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    found('conversation', id, await conversations.getConversation(orgOf(res), id));
    res.json({ messages: await messages.listMessages(orgOf(res), id) });
  });

  router.post('/messages', async (req, res) => {
    const fields = parse(MessageFieldsSchema, req.body);
    res.status(201).json(await messages.createMessage(fields, newId(), apiWriter(res, events)));
  });
  router.get('/messages/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(found('message', id, await messages.getMessage(orgOf(res), id)));
  });

  return router;
}
