export { interpreter } from './interpreter.workflow';
