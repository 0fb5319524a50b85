/**
 * The workflow bundle of the load benchmark: the production interpreter, unchanged, plus the
 * hand-written floor and baseline it is compared against. One bundle, one worker, one task queue.
 */
export { interpreter } from '../../src/workflows';
export { baseline } from './baseline.workflow';
export { floor } from './floor.workflow';
