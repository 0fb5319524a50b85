export { interpreter } from './interpreter.workflow';
export { scheduledRun } from './scheduled.workflow';
