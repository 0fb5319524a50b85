import { Router } from 'express';
import { z } from 'zod';
import { newId } from '../../models/ids';
import { OrgModel } from '../../models/org.model';
import { hashApiKey, newApiKey, requireRoot } from '../auth';
import { parse } from '../http';

const CreateOrgSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });

export function orgsRouter(rootApiKey: string | undefined): Router {
  const router = Router();
  /** The API key is returned once, here; only its hash is kept. */
  router.post('/', requireRoot(rootApiKey), async (req, res) => {
    const { name } = parse(CreateOrgSchema, req.body);
    const apiKey = newApiKey();
    const org = await OrgModel.create({ _id: newId(), name, apiKeyHash: hashApiKey(apiKey) });
    res.status(201).json({ id: org._id, name: org.name, apiKey });
  });
  return router;
}
