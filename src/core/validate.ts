import type { z } from 'zod';
import { ACTIONS, lookupAction } from './actions.catalog';
import { BUILTIN_STEPS, lookupBuiltin } from './builtins.catalog';
import type { BuiltinStep } from './builtins.catalog';
import { eachConditionNode, literalRegexPattern } from './conditions';
import type { ActionName } from './actions.catalog';
import { ConditionSchema, DefinitionInputSchema } from './definition.schema';
import { callableEventName } from './names';
import type { Condition, Definition, Step, Transition, Trigger } from './definition.schema';
import { TRIGGER_ID, afterErrorCases, ancestorsOf, buildGraph, cycleText, findCycles, reachableFrom } from './graph';
import type { StepGraph } from './graph';
import { eachString, isPlainObject } from './json';
import type { JsonObject } from './json';
import { MAX_CONDITION_DEPTH, MAX_DEFINITION_TEMPLATE_CHARS, MAX_DEFINITION_TEMPLATES } from './limits';
import { canonicalName } from './names';
import { capped, collectProblems, formatPath, problemsFromZod } from './problems';
import type { PathSegment, Problem } from './problems';
import { classifyValue, referencedSteps, referencedVariables, referencesError, valueProblems } from './references';

/**
 * Save-time validation of workflow definitions: the schema first, then the checks that need the
 * whole document (ids, targets, reachability, cycles, actions and their params, regexes, and
 * references to steps that cannot have run yet). Pure: no I/O, no Node built-ins; the RE2 check is
 * injected so that this module also loads in the workflow sandbox.
 */

export interface ValidateOptions {
  /** Returns an error message when RE2 cannot compile the pattern (injected: the API passes the native re2). */
  checkRegex?: (pattern: string) => string | undefined;
  /**
   * Returns an error message when the JSON Schema (a callable trigger's `schema`, `response.schema`) does
   * not compile (injected: the API compiles it with ajv, which the workflow sandbox does not load).
   */
  checkJsonSchema?: (schema: JsonObject) => string | undefined;
}

type Report = (path: PathSegment[], message: string) => void;

/**
 * Templates seen so far in the definition being checked. Each is parsed (several times: syntax, step
 * references, error references), so past `MAX_DEFINITION_TEMPLATES` templates or
 * `MAX_DEFINITION_TEMPLATE_CHARS` characters the rest are not: one problem says so.
 */
class TemplateBudget {
  private count = 0;
  private chars = 0;
  private spent = false;

  /** Whether `value`'s templates may be checked; reports the first value past the budget. */
  admit(value: unknown, path: PathSegment[], report: Report): boolean {
    let admitted = true;
    eachString(value, (text, relative) => {
      if (classifyValue(text) !== 'template') return;
      admitted &&= !this.spent;
      if (this.spent) return;
      this.count++;
      this.chars += text.length;
      if (this.count > MAX_DEFINITION_TEMPLATES || this.chars > MAX_DEFINITION_TEMPLATE_CHARS) {
        this.spent = true;
        admitted = false;
        report(
          [...path, ...relative],
          `this definition's templates pass ${MAX_DEFINITION_TEMPLATES} templates or ` +
            `${MAX_DEFINITION_TEMPLATE_CHARS} characters in all; templates from here on are not checked`,
        );
      }
    });
    return admitted;
  }
}

/** Options plus the state one validation carries. */
type Checks = ValidateOptions & { templates: TemplateBudget };

/**
 * Parses and validates client input (create, import). Returns every problem at once, each with its
 * JSON path; schema problems alone when the input does not fit the schema. Steps without an `id` get
 * one from `newId` (retried a few times if it collides with an id already in use). A callable trigger
 * without an event name is named `workflow.<definitionId>.call` (the service passes the id the
 * definition is saved under; without one, `workflow.new.call`).
 */
export function parseDefinition(
  input: unknown,
  opts: ValidateOptions & { newId: () => string; definitionId?: string },
): { ok: true; definition: Definition } | { ok: false; problems: Problem[] } {
  const parsed = DefinitionInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: capped(problemsFromZod(parsed.error)) };
  const taken = new Set(parsed.data.steps.flatMap((step) => (step.id === undefined ? [] : [step.id])));
  taken.add(TRIGGER_ID);
  const steps = parsed.data.steps.map((step) => ({ ...step, id: step.id ?? freshId(taken, opts.newId) }));
  const { eventName = callableEventName(opts.definitionId ?? 'new') } = parsed.data.trigger;
  const definition: Definition = { ...parsed.data, trigger: { ...parsed.data.trigger, eventName }, steps };
  const problems = validateDefinition(definition, opts);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, definition };
}

function freshId(taken: Set<string>, newId: () => string): string {
  let id = newId();
  for (let attempt = 1; taken.has(id) && attempt < 10; attempt++) id = newId();
  taken.add(id);
  return id;
}

/**
 * Semantic and graph checks on a definition that already fits `DefinitionSchema`. Returns every
 * problem found (empty when the definition can be saved), never stopping at the first, up to
 * `MAX_PROBLEMS`; past that it stops and ends the list with a problem saying so.
 */
export function validateDefinition(def: Definition, opts: ValidateOptions = {}): Problem[] {
  return collectProblems((report) => checkDefinition(def, opts, report));
}

function checkDefinition(def: Definition, options: ValidateOptions, report: Report): void {
  const opts: Checks = { ...options, templates: new TemplateBudget() };
  const graph = buildGraph(def);
  checkIds(def, report);
  checkTargets(def, graph, report);
  checkReachability(graph, report);
  checkTrigger(def.trigger, opts, report);
  if (def.response?.schema !== undefined) checkJsonSchema(def.response.schema, ['response', 'schema'], opts, report);
  for (const cycle of findCycles(graph)) {
    report([...cycle.edge.path, 'target'], `cycle: ${cycleText(cycle.ids)} (runs must end, so steps cannot loop back)`);
  }
  def.trigger.transitions.forEach((t, k) => {
    const step = (ref: string): string | undefined => {
      if (ref === TRIGGER_ID) return undefined;
      if (!graph.index.has(ref)) return unknownStep(ref);
      return `step "${ref}" cannot have run before the trigger's conditions (they may reference only step "1")`;
    };
    checkCondition(t.condition, ['trigger', 'transitions', k, 'condition'], { step, error: NO_ERROR }, opts, report);
  });
  const handlingError = afterErrorCases(graph);
  def.steps.forEach((step, i) => checkStep(step, i, graph, handlingError.has(step.id), opts, report));
}

function checkIds(def: Definition, report: Report): void {
  const first = new Map<string, number>();
  def.steps.forEach((step, i) => {
    if (step.id === TRIGGER_ID) {
      report(['steps', i, 'id'], 'step id "1" is reserved for the trigger');
      return;
    }
    const earlier = first.get(step.id);
    if (earlier === undefined) first.set(step.id, i);
    else
      report(['steps', i, 'id'], `duplicate step id "${step.id}" (already used by ${formatPath(['steps', earlier])})`);
  });
}

function checkTargets(def: Definition, graph: StepGraph, report: Report): void {
  const check = (list: Transition[], path: PathSegment[], kind: string): void => {
    list.forEach((t, k) => {
      const at = [...path, k, 'target'];
      if (t.target === TRIGGER_ID) report(at, `${kind} target "1" is the trigger; a run cannot go back to it`);
      else if (!graph.index.has(t.target)) report(at, `${kind} target "${t.target}" is not a step of this workflow`);
    });
  };
  check(def.trigger.transitions, ['trigger', 'transitions'], 'transition');
  def.steps.forEach((step, i) => {
    check(step.transitions, ['steps', i, 'transitions'], 'transition');
    check(step.errorCases, ['steps', i, 'errorCases'], 'error case');
  });
}

function checkReachability(graph: StepGraph, report: Report): void {
  const reachable = reachableFrom(graph);
  for (const [id, i] of graph.index) {
    if (!reachable.has(id)) report(['steps', i], `step "${id}" is unreachable from the trigger`);
  }
}

/** What a value may read, as problem messages: `step(ref)` for a reference to step `ref`, `error` for `error.*`. */
interface Scope {
  step: (ref: string) => string | undefined;
  /** Set when the error being handled cannot exist here. */
  error?: string | undefined;
}

const NO_ERROR = '"error" is only set while a failure is handled: use it in error cases and the steps after them';

const unknownStep = (ref: string): string => `reference to step "${ref}", which is not a step of this workflow`;

function checkStep(
  step: Step,
  i: number,
  graph: StepGraph,
  handlingError: boolean,
  opts: Checks,
  report: Report,
): void {
  const at: PathSegment[] = ['steps', i];
  // Ancestry is only meaningful for the first step with a given id; duplicates are reported already.
  const graphed = graph.index.get(step.id) === i;
  let ancestors: Set<string> | undefined;
  // Computed on first need: most references are to step "1", and this walk is linear in the graph.
  const ranBefore = (ref: string): boolean => !graphed || (ancestors ??= ancestorsOf(graph, step.id)).has(ref);
  const error = handlingError || !graphed ? undefined : NO_ERROR;
  const scope = (self: string | undefined, errorAllowed = false): Scope => ({
    step: (ref) => {
      if (ref === TRIGGER_ID) return undefined;
      if (ref === step.id) return self;
      if (!graph.index.has(ref)) return unknownStep(ref);
      if (ranBefore(ref)) return undefined;
      return `step "${ref}" cannot have run before step "${step.id}"`;
    },
    error: errorAllowed ? undefined : error,
  });

  const builtin = step.action === undefined ? undefined : lookupBuiltin(step.action);
  if (step.action !== undefined && builtin === undefined) {
    const action = lookupAction(step.action);
    if (action === undefined) report([...at, 'action'], `unknown action "${step.action}"`);
    else checkParams(step, action, at, opts, report);
  } else if (builtin !== undefined) {
    checkBuiltinParams(step, builtin, at, report);
  } else if (step.params !== undefined) {
    report([...at, 'params'], `step "${step.id}" has params but no action`);
  }
  if (step.params !== undefined) {
    const ownOutput = scope(`step "${step.id}" cannot use its own output in its params`);
    const { condition, ...rest } = step.params;
    if (builtin === 'wait-for-event' && condition !== undefined) {
      // The condition is tested on each arriving event, which is this step's `/#steps.<id>` meanwhile.
      checkValue(rest, [...at, 'params'], ownOutput, opts, report);
      const parsed = ConditionSchema.safeParse(condition);
      const path = [...at, 'params', 'condition'];
      if (parsed.success) checkCondition(parsed.data, path, scope(undefined), opts, report);
      else checkValue(condition, path, scope(undefined), opts, report);
    } else {
      checkValue(step.params, [...at, 'params'], ownOutput, opts, report);
    }
  }
  step.transitions.forEach((t, k) => {
    checkCondition(t.condition, [...at, 'transitions', k, 'condition'], scope(undefined), opts, report);
  });
  const failed = `step "${step.id}" failed when its error cases run, so it has no output; use "/#error" instead`;
  step.errorCases.forEach((t, k) => {
    checkCondition(t.condition, [...at, 'errorCases', k, 'condition'], scope(failed, true), opts, report);
  });
}

function checkParams(step: Step, action: ActionName, at: PathSegment[], opts: ValidateOptions, report: Report): void {
  const shape: Record<string, z.ZodType> = ACTIONS[action].shape;
  const params = step.params ?? {};
  const name = step.action ?? action;
  for (const [key, value] of Object.entries(params)) {
    const path = [...at, 'params', key];
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (field === undefined) {
      report(path, `unknown param "${key}" for action "${name}"`);
      continue;
    }
    if (isDynamic(value)) continue;
    const parsed = field.safeParse(value);
    if (parsed.success) continue;
    for (const issue of parsed.error.issues) report([...path, ...(issue.path as PathSegment[])], issue.message);
  }
  for (const [key, field] of Object.entries(shape)) {
    if (!Object.hasOwn(params, key) && !field.safeParse(undefined).success) {
      report([...at, 'params', key], `missing required param "${key}" for action "${name}"`);
    }
  }
  const regex = params['regex'];
  if (action === 'regex-match.generic' && typeof regex === 'string' && !isDynamic(regex)) {
    checkPattern(regex, [...at, 'params', 'regex'], opts, report);
  }
}

/**
 * Params of a step the interpreter runs itself (builtins.catalog.ts). As for actions, only literal values
 * are checked: a reference, function call or template is resolved at run time and checked then.
 */
function checkBuiltinParams(step: Step, builtin: BuiltinStep, at: PathSegment[], report: Report): void {
  const params = step.params ?? {};
  const name = step.action ?? builtin;
  const parsed = BUILTIN_STEPS[builtin].safeParse(params);
  if (parsed.success) return;
  for (const issue of parsed.error.issues) {
    const [key] = issue.path;
    if (issue.code === 'unrecognized_keys') {
      for (const unknown of issue.keys)
        report([...at, 'params', unknown], `unknown param "${unknown}" for action "${name}"`);
    } else if (typeof key === 'string' && !Object.hasOwn(params, key)) {
      report([...at, 'params', key], `missing required param "${key}" for action "${name}"`);
    } else if (typeof key !== 'string' || !isDynamic(params[key])) {
      report([...at, 'params', ...(issue.path as PathSegment[])], issue.message);
    }
  }
}

/** `schema` and `response.schema` must compile; debounce and concurrency apply to event triggers, keyed on step "1". */
function checkTrigger(trigger: Trigger, opts: Checks, report: Report): void {
  const at = ['trigger'];
  if (trigger.schema !== undefined) checkJsonSchema(trigger.schema, [...at, 'schema'], opts, report);
  const { debounce, concurrency } = trigger;
  const mode = typeof concurrency === 'object' ? concurrency.mode : concurrency;
  if (trigger.callable === true) {
    const callableOnly = 'applies to runs started by events; a callable workflow runs once per call';
    if (debounce !== undefined) report([...at, 'debounce'], `debounce ${callableOnly}`);
    if (concurrency !== undefined) report([...at, 'concurrency'], `concurrency ${callableOnly}`);
    return;
  }
  if (debounce !== undefined) {
    checkRunKey(debounce.key, [...at, 'debounce', 'key'], report);
    if (mode !== undefined && mode !== 'parallel') {
      report(
        [...at, 'concurrency'],
        `concurrency "${mode}" cannot be combined with debounce: a debounced workflow already runs once per key`,
      );
    }
  }
  if (typeof concurrency === 'object' && concurrency.key !== undefined) {
    checkRunKey(concurrency.key, [...at, 'concurrency', 'key'], report);
  }
}

/** A debounce or concurrency key: a plain reference into the trigger's event, such as `/#steps.1.conversation`. */
function checkRunKey(key: string, path: PathSegment[], report: Report): void {
  const steps = referencedSteps(key);
  const wellFormed = valueProblems(key).length === 0;
  if (classifyValue(key) !== 'reference' || !wellFormed || steps.length !== 1 || steps[0] !== TRIGGER_ID) {
    report(path, `the key must be a reference into the trigger's event, such as "/#steps.1.conversation"`);
  }
}

function checkJsonSchema(schema: JsonObject, path: PathSegment[], opts: ValidateOptions, report: Report): void {
  const error = opts.checkJsonSchema?.(schema);
  if (error !== undefined) report(path, `not a valid JSON Schema: ${error}`);
}

/** Steps that start another definition by id: `workflow.call` and scheduled runs. */
const CALLING_ACTIONS: ReadonlySet<string> = new Set(['workflow.call', 'app.scheduler.schedule-workflow']);

/** A step that names another definition by a literal id (`params.workflowId`). */
export interface CallTarget {
  /** Index of the step in `steps`. */
  step: number;
  workflowId: string;
}

/**
 * The literal targets of `workflow.call` and `app.scheduler.schedule-workflow` steps, for the save-time
 * check that each names a callable definition of the same org (validation has no I/O; the service looks
 * them up). A target given as a reference is checked at run time.
 */
export function literalCallTargets(def: Pick<Definition, 'steps'>): CallTarget[] {
  return def.steps.flatMap((step, i) => {
    if (step.action === undefined || !CALLING_ACTIONS.has(canonicalName(step.action))) return [];
    const workflowId = step.params?.['workflowId'];
    if (typeof workflowId !== 'string' || isDynamic(workflowId)) return [];
    return [{ step: i, workflowId }];
  });
}

/** The definition with the literal call targets found in `renamed` replaced (a batch import's new ids). */
export function renameCallTargets<D extends Pick<Definition, 'steps'>>(
  def: D,
  renamed: ReadonlyMap<string, string>,
): D {
  const targets = literalCallTargets(def).filter((t) => renamed.has(t.workflowId));
  if (targets.length === 0) return def;
  const steps = [...def.steps];
  for (const { step: i, workflowId } of targets) {
    const step = steps[i];
    if (step === undefined || !isPlainObject(step.params)) continue;
    steps[i] = { ...step, params: { ...step.params, workflowId: renamed.get(workflowId) ?? workflowId } };
  }
  return { ...def, steps };
}

function checkPattern(pattern: string, path: PathSegment[], opts: ValidateOptions, report: Report): void {
  const error = opts.checkRegex?.(pattern);
  if (error !== undefined) report(path, `regular expression ${JSON.stringify(pattern)} is not valid (RE2): ${error}`);
}

/**
 * Checks a condition tree: syntax of its operands, literal regex patterns, and step references.
 * Nested `and`/`or` are walked down to `MAX_CONDITION_DEPTH` (deeper is a problem: evaluation refuses
 * it); anything that is not a condition object was reported by the schema.
 */
function checkCondition(cond: Condition, path: PathSegment[], scope: Scope, opts: Checks, report: Report): void {
  eachConditionNode(
    cond,
    (node, at) => {
      if (node.op === 'and' || node.op === 'or') return;
      checkValue(node.values, [...path, ...at, 'values'], scope, opts, report);
      eachString(node.values, (text, relative) => {
        if (referencedVariables(text).length > 0)
          report([...path, ...at, 'values', ...relative], VARIABLE_IN_CONDITION);
      });
      const pattern = literalRegexPattern(node);
      if (pattern !== undefined) checkPattern(pattern, [...path, ...at, 'values', 1], opts, report);
    },
    (at) => report([...path, ...at], `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels`),
  );
}

const VARIABLE_IN_CONDITION =
  'variables cannot be used in conditions: their values are resolved only inside actions, so they never enter the run';

/** Syntax problems of `/#` strings and templates inside `value`, and the steps they reference. */
function checkValue(value: unknown, path: PathSegment[], scope: Scope, opts: Checks, report: Report): void {
  if (!opts.templates.admit(value, path, report)) return;
  for (const p of valueProblems(value)) report([...path, ...p.path], p.message);
  eachString(value, (text, relative) => {
    const at = [...path, ...relative];
    for (const ref of referencedSteps(text)) {
      const message = scope.step(ref);
      if (message !== undefined) report(at, message);
    }
    if (scope.error !== undefined && referencesError(text)) report(at, scope.error);
  });
}

/** True when the value is only known at run time: it holds a `/#` reference or function, or a template. */
export function isDynamic(value: unknown): boolean {
  return eachString(value, (text) => classifyValue(text) !== 'literal');
}
