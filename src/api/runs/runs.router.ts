import { Router } from 'express';
import { z } from 'zod';
import { RUN_FILTER_STATUSES, type RunService } from '../../services/runs.service';
import { orgOf, parse } from '../http';

const ListQuery = z.strictObject({
  workflow: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, 'not a workflow id')
    .optional(),
  status: z.enum(RUN_FILTER_STATUSES).optional(),
  /** A chain of scheduled runs, by its first run's id (`chain.root` of any of its runs). */
  chain: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const IdParams = z.object({ id: z.string().min(1).max(200) });

export function runsRouter(runs: RunService): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const query = parse(ListQuery, req.query, ['query']);
    res.json({ runs: await runs.list(orgOf(res), query) });
  });
  router.get('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await runs.get(orgOf(res), id));
  });
  router.post('/:id/cancel', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.status(202).json(await runs.cancel(orgOf(res), id));
  });
  return router;
}
