import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Config } from '../../config';
import { CreateHookSchema, type HookService } from '../../services/hooks/hooks.service';
import { orgOf, parse } from '../http';

const IdParams = z.object({ id: z.string().min(1).max(100) });

/** Where senders reach this API: PUBLIC_URL, else this server's own port on 127.0.0.1 (its real one, also when PORT=0). */
function baseUrl(config: Pick<Config, 'hooks'>, req: Request): string {
  return config.hooks.publicUrl ?? `http://127.0.0.1:${req.socket.localPort ?? ''}`;
}

/**
 * Managing an org's inbound hooks (org API key). The secret is in the answers of create and rotate-secret
 * only; another org's hook is a 404.
 */
export function hooksRouter(hooks: HookService, config: Pick<Config, 'hooks'>): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = parse(CreateHookSchema, req.body);
    res.status(201).json(await hooks.create(orgOf(res), body, baseUrl(config, req)));
  });
  router.get('/', async (req, res) => {
    res.json({ hooks: await hooks.list(orgOf(res), baseUrl(config, req)) });
  });
  router.get('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await hooks.get(orgOf(res), id, baseUrl(config, req)));
  });
  router.post('/:id/rotate-secret', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await hooks.rotateSecret(orgOf(res), id, baseUrl(config, req)));
  });
  router.delete('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    await hooks.remove(orgOf(res), id);
    res.status(204).end();
  });
  return router;
}
