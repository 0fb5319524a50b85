import { Router } from 'express';
import { z } from 'zod';
import { CreateScheduleSchema, type ScheduleService } from '../../services/schedules.service';
import { orgOf, parse } from '../http';

const IdParams = z.object({ id: z.string().min(1).max(200) });

/** Recurring schedules of callable workflows (Temporal Schedules); another org's schedule is a 404. */
export function schedulesRouter(schedules: ScheduleService): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = parse(CreateScheduleSchema, req.body);
    res.status(201).json(await schedules.create(orgOf(res), body));
  });
  router.get('/', async (_req, res) => {
    res.json({ schedules: await schedules.list(orgOf(res)) });
  });
  router.get('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await schedules.get(orgOf(res), id));
  });
  router.post('/:id/pause', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await schedules.pause(orgOf(res), id));
  });
  router.post('/:id/resume', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await schedules.resume(orgOf(res), id));
  });
  router.post('/:id/trigger', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.status(202).json(await schedules.trigger(orgOf(res), id));
  });
  router.delete('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    await schedules.remove(orgOf(res), id);
    res.status(204).end();
  });
  return router;
}
