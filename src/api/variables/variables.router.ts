import { Router } from 'express';
import { z } from 'zod';
import { CreateVariableSchema, UpdateVariableSchema, type VariableService } from '../../services/variables.service';
import { orgOf, parse } from '../http';

const IdParams = z.object({ id: z.string().min(1).max(100) });

/** The org's variables; secret values are never answered. Another org's variable is a 404. */
export function variablesRouter(variables: VariableService): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    res.status(201).json(await variables.create(orgOf(res), parse(CreateVariableSchema, req.body)));
  });
  router.get('/', async (_req, res) => {
    res.json({ variables: await variables.list(orgOf(res)) });
  });
  router.get('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await variables.get(orgOf(res), id));
  });
  router.patch('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await variables.update(orgOf(res), id, parse(UpdateVariableSchema, req.body)));
  });
  router.delete('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    await variables.remove(orgOf(res), id);
    res.status(204).end();
  });
  return router;
}
