import type { Client } from '@temporalio/client';
import express from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { createCallService } from '../services/calls.service';
import type { EventService } from '../services/events.service';
import { sharedTriggerPool, type TriggerEvaluator } from '../services/triggers/trigger-pool';
import type { RunService } from '../services/runs.service';
import { requireOrg } from './auth';
import { eventsRouter } from './events/events.router';
import { healthRouter } from './health.router';
import { hookReceiversRouter } from './hooks/receivers.router';
import { hooksRouter } from './hooks/hooks.router';
import { createHookService } from '../services/hooks/hooks.service';
import { errorHandler, jsonBodiesOnly, notFoundRoute } from './http';
import { orgsRouter } from './orgs/orgs.router';
import { recordsRouter } from './records/records.router';
import { runsRouter } from './runs/runs.router';
import { createScheduleService } from '../services/schedules.service';
import { schedulesRouter } from './schedules/schedules.router';
import { callsRouter } from './workflows/calls.router';
import { workflowsRouter } from './workflows/workflows.router';
import { secretBoxFor } from '../services/secrets/secret-box';
import { createVariableService } from '../services/variables.service';
import { variablesRouter } from './variables/variables.router';
import { createDeliveryService } from '../services/webhooks/deliveries.service';
import { createSubscriptionService } from '../services/webhooks/subscriptions.service';
import { webhooksRouter } from './webhooks/webhooks.router';

export interface ApiDeps {
  config: Config;
  client: Client;
  events: EventService;
  runs: RunService;
  logger: Logger;
}

/** The HTTP API. Hooks accept up to 400 KB bodies in the product, so that is our limit too. */
export function createApp(deps: ApiDeps): express.Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Inbound hooks read their bodies raw (signatures cover the bytes) and take no org key: before both.
  app.use(hookReceiversRouter({ events: deps.events, config }));
  app.use(jsonBodiesOnly, express.json({ limit: '400kb' }));
  app.use(healthRouter(deps.client, config.namespace, config.taskQueue));
  app.use('/v1/orgs', orgsRouter(config.rootApiKey));
  app.use('/v1', requireOrg);
  const schedules = createScheduleService(deps.client, config);
  // The process's trigger pool, looked up when a call needs it (the runtime acquires and releases it).
  const triggers: TriggerEvaluator = {
    evaluate: (org, task) => sharedTriggerPool(config.triggerEval).evaluate(org, task),
  };
  const calls = createCallService({ ...config, client: deps.client, logger: deps.logger, triggers });
  app.use('/v1/workflows', callsRouter(calls));
  app.use('/v1/workflows', workflowsRouter(config.maxActiveWorkflows, schedules));
  app.use('/v1/events', eventsRouter(deps.events));
  app.use('/v1/runs', runsRouter(deps.runs));
  app.use('/v1/schedules', schedulesRouter(schedules));
  app.use('/v1/variables', variablesRouter(createVariableService(secretBoxFor(config))));
  app.use(
    '/v1/webhooks',
    webhooksRouter(
      createSubscriptionService(config),
      createDeliveryService({ client: deps.client, taskQueue: config.taskQueue, settings: config.webhooks }),
    ),
  );
  app.use('/v1/hooks', hooksRouter(createHookService(config), config));
  app.use('/v1', recordsRouter(deps.events));
  app.use(notFoundRoute);
  app.use(errorHandler(deps.logger));
  return app;
}
