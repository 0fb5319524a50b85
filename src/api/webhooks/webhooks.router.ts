import { Router } from 'express';
import { z } from 'zod';
import { DeliveriesQuery, type DeliveryService } from '../../services/webhooks/deliveries.service';
import {
  CreateWebhookSchema,
  UpdateWebhookSchema,
  type SubscriptionService,
} from '../../services/webhooks/subscriptions.service';
import { orgOf, parse } from '../http';

const IdParams = z.object({ id: z.string().min(1).max(100) });
const DeliveryParams = IdParams.extend({ deliveryId: z.string().min(1).max(100) });

/** Outbound webhook subscriptions and their deliveries; another org's subscription is a 404. */
export function webhooksRouter(subscriptions: SubscriptionService, deliveries: DeliveryService): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = parse(CreateWebhookSchema, req.body);
    res.status(201).json(await subscriptions.create(orgOf(res), body));
  });
  router.get('/', async (_req, res) => {
    res.json({ webhooks: await subscriptions.list(orgOf(res)) });
  });
  router.get('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await subscriptions.get(orgOf(res), id));
  });
  router.patch('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    const body = parse(UpdateWebhookSchema, req.body);
    res.json(await subscriptions.update(orgOf(res), id, body));
  });
  router.delete('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    await subscriptions.remove(orgOf(res), id);
    res.status(204).end();
  });
  router.post('/:id/rotate-secret', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await subscriptions.rotateSecret(orgOf(res), id));
  });
  router.get('/:id/deliveries', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    const query = parse(DeliveriesQuery, req.query, ['query']);
    res.json({ deliveries: await deliveries.list(orgOf(res), id, query) });
  });
  router.get('/:id/deliveries/:deliveryId', async (req, res) => {
    const { id, deliveryId } = parse(DeliveryParams, req.params);
    res.json(await deliveries.get(orgOf(res), id, deliveryId));
  });
  router.post('/:id/deliveries/:deliveryId/retry', async (req, res) => {
    const { id, deliveryId } = parse(DeliveryParams, req.params);
    res.status(202).json(await deliveries.retry(orgOf(res), id, deliveryId));
  });
  return router;
}
