import { Router } from 'express';
import { z } from 'zod';
import type { ScheduleService } from '../../services/schedules.service';
import * as workflows from '../../services/workflows.service';
import { orgOf, parse } from '../http';

const IdParams = z.object({ id: z.string().min(1).max(100) });
const EnabledBody = z.strictObject({ enabled: z.boolean() });

/**
 * Definitions. Their recurring schedules follow them: disabling a definition pauses its schedules (enabling
 * resumes those the switch paused), deleting it deletes them.
 */
export function workflowsRouter(maxActive: number, schedules: ScheduleService): Router {
  const router = Router();
  const json = workflows.workflowJson;

  router.get('/', async (_req, res) => {
    res.json({ workflows: (await workflows.listDefinitions(orgOf(res))).map(json) });
  });
  router.post('/', async (req, res) => {
    res.status(201).json(json(await workflows.createDefinition(orgOf(res), req.body, maxActive)));
  });
  router.post('/import', async (req, res) => {
    const created = await workflows.importDefinitions(orgOf(res), req.body, maxActive);
    res.status(201).json({ workflows: created.map(json) });
  });
  router.get('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(json(await workflows.getDefinition(orgOf(res), id)));
  });
  /** The definition alone, in the reference format: what import takes back. */
  router.get('/:id/export', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    const record = await workflows.getDefinition(orgOf(res), id);
    res.attachment(`${record.definition.name}.workflow.json`).json(record.definition);
  });
  router.put('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    const record = await workflows.replaceDefinition(orgOf(res), id, req.body, maxActive);
    await schedules.onDefinitionEnabledChanged(orgOf(res), id, record.enabled);
    res.json(json(record));
  });
  router.patch('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    const { enabled } = parse(EnabledBody, req.body);
    const record = await workflows.setDefinitionEnabled(orgOf(res), id, enabled, maxActive);
    await schedules.onDefinitionEnabledChanged(orgOf(res), id, record.enabled);
    res.json(json(record));
  });
  router.delete('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    await workflows.deleteDefinition(orgOf(res), id);
    await schedules.onDefinitionDeleted(orgOf(res), id);
    res.status(204).end();
  });
  return router;
}
