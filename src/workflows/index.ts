export { interpreter } from './interpreter.workflow';
export { keyedRun } from './keyed.workflow';
export { scheduledRun } from './scheduled.workflow';
export { webhookDelivery, webhookSender } from './webhook.workflow';
