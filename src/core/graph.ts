import type { Definition } from './definition.schema';
import type { PathSegment } from './problems';

/**
 * The step graph of a definition: the trigger (`"1"`) and every step are nodes; transitions and
 * errorCases are edges. Pure functions only, shared by save-time validation and anything else that
 * needs to reason about which steps may run before which.
 */

export const TRIGGER_ID = '1';

export interface Edge {
  from: string;
  to: string;
  /** `errorCase` edges are followed when `from` failed. */
  kind: 'transition' | 'errorCase';
  /** Location of the transition or error case, e.g. `['steps', 2, 'errorCases', 0]`. */
  path: PathSegment[];
}

export interface StepGraph {
  /** Step id -> index in `def.steps` of its first occurrence (duplicates are left out). */
  index: Map<string, number>;
  /** Outgoing edges of every node, in document order (transitions before errorCases). */
  out: Map<string, Edge[]>;
  /** Incoming edges of every node. */
  in: Map<string, Edge[]>;
}

/**
 * Builds the graph. Edges to unknown targets, to the trigger, or leaving a duplicate step are left
 * out: validation reports those separately, and the graph checks work on what remains.
 */
export function buildGraph(def: Definition): StepGraph {
  const index = new Map<string, number>();
  def.steps.forEach((step, i) => {
    if (step.id !== TRIGGER_ID && !index.has(step.id)) index.set(step.id, i);
  });
  const out = new Map<string, Edge[]>();
  const inc = new Map<string, Edge[]>();
  for (const id of [TRIGGER_ID, ...index.keys()]) {
    out.set(id, []);
    inc.set(id, []);
  }
  const add = (from: string, to: string, path: PathSegment[]): void => {
    if (!index.has(to)) return;
    const edge: Edge = { from, to, kind: path[2] === 'errorCases' ? 'errorCase' : 'transition', path };
    out.get(from)?.push(edge);
    inc.get(to)?.push(edge);
  };
  def.trigger.transitions.forEach((t, k) => add(TRIGGER_ID, t.target, ['trigger', 'transitions', k]));
  for (const [id, i] of index) {
    const step = def.steps[i];
    if (step === undefined) continue;
    step.transitions.forEach((t, k) => add(id, t.target, ['steps', i, 'transitions', k]));
    step.errorCases.forEach((t, k) => add(id, t.target, ['steps', i, 'errorCases', k]));
  }
  return { index, out, in: inc };
}

function walk(start: string, next: (id: string) => Edge[], pick: (e: Edge) => string): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const edge of next(id)) {
      const n = pick(edge);
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

/** Every node reachable from `start` (including `start`). */
export function reachableFrom(graph: StepGraph, start: string = TRIGGER_ID): Set<string> {
  return walk(
    start,
    (id) => graph.out.get(id) ?? [],
    (e) => e.to,
  );
}

/** Steps that may run while a failure is being handled: error case targets and everything after them. */
export function afterErrorCases(graph: StepGraph): Set<string> {
  const found = new Set<string>();
  for (const edges of graph.out.values()) {
    for (const edge of edges) {
      if (edge.kind === 'errorCase' && !found.has(edge.to))
        for (const id of reachableFrom(graph, edge.to)) found.add(id);
    }
  }
  return found;
}

/** Proper ancestors of `id`: nodes with a path to it, the trigger included, `id` itself excluded. */
export function ancestorsOf(graph: StepGraph, id: string): Set<string> {
  const found = walk(
    id,
    (n) => graph.in.get(n) ?? [],
    (e) => e.from,
  );
  found.delete(id);
  return found;
}

export interface Cycle {
  /** Step ids around the cycle, first id repeated at the end: `['a', 'b', 'a']`. */
  ids: string[];
  /** The edge that closes the cycle (a back edge of a depth-first search). */
  edge: Edge;
}

/** `a -> b -> c -> a`; a long cycle (up to 250 ids) keeps its first five and last five ids. */
export function cycleText(ids: readonly string[]): string {
  if (ids.length <= 10) return ids.join(' -> ');
  return [...ids.slice(0, 5), `... (${ids.length - 10} more)`, ...ids.slice(-5)].join(' -> ');
}

/**
 * One cycle per back edge of a depth-first search from the trigger, then from every step not yet
 * visited (so cycles among unreachable steps are found too). Removing every reported edge makes the
 * graph acyclic. Iterative, so long chains cannot overflow the stack.
 */
export function findCycles(graph: StepGraph): Cycle[] {
  const cycles: Cycle[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const root of [TRIGGER_ID, ...graph.index.keys()]) {
    if (state.has(root)) continue;
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const edge = (graph.out.get(top.id) ?? [])[top.next++];
      if (edge === undefined) {
        state.set(top.id, 'done');
        stack.pop();
        continue;
      }
      const seen = state.get(edge.to);
      if (seen === undefined) {
        state.set(edge.to, 'open');
        stack.push({ id: edge.to, next: 0 });
      } else if (seen === 'open') {
        const from = stack.findIndex((frame) => frame.id === edge.to);
        cycles.push({ ids: [...stack.slice(from).map((frame) => frame.id), edge.to], edge });
      }
    }
  }
  return cycles;
}
