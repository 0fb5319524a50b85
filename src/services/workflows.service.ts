import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { DEFINITION_FORMAT_VERSION, DefinitionSchema, type Definition } from '../core/definition.schema';
import { isPlainObject, jsonEqual, type JsonObject } from '../core/json';
import { canonicalName } from '../core/names';
import { formatPath, problemsFromZod, type Problem } from '../core/problems';
import { literalCallTargets, parseDefinition, renameCallTargets } from '../core/validate';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { newId } from '../models/ids';
import { WorkflowModel, type WorkflowDoc } from '../models/workflow.model';
import { jsonSchemaError } from './json-schemas';
import { withRecordLock } from './records';
import { re2CompileError } from './regex';

/** A stored definition (what the API calls a workflow) at its current revision (`rev`). */
export interface DefinitionRecord {
  id: string;
  org: string;
  rev: number;
  enabled: boolean;
  definition: Definition;
  createdAt: string;
  updatedAt: string;
}

/** Builder-style 9-character step ids for steps sent without one. */
function newStepId(): string {
  return newId().slice(0, 9);
}

/**
 * Definitions are stored with the format version they were written in and upgraded here on read.
 * Version 1 is the only one so far; a new version adds a case that rewrites the older shape.
 */
function upgradeDefinition(formatVersion: number, raw: unknown): Definition {
  switch (formatVersion) {
    case 1:
      return DefinitionSchema.parse(raw);
    default:
      throw new Error(`unknown definition format version ${formatVersion}`);
  }
}

/**
 * A revision never changes once saved (every save increments `rev`), so its parsed definition is
 * cached: dispatch reads every listening workflow on every event. Bounded: the least recently used
 * of 1,000 revisions leave first.
 */
const parsedRevisions = new LRUCache<string, Definition>({ max: 1000 });

function definitionOf(doc: WorkflowDoc): Definition {
  const key = `${doc._id}@${doc.rev}`;
  let definition = parsedRevisions.get(key);
  if (!definition) {
    definition = upgradeDefinition(doc.formatVersion, JSON.parse(doc.definitionJson));
    parsedRevisions.set(key, definition);
  }
  return definition;
}

function toDefinitionRecord(doc: WorkflowDoc): DefinitionRecord {
  const definition = definitionOf(doc);
  return {
    id: doc._id,
    org: doc.org,
    rev: doc.rev,
    enabled: doc.enabled,
    definition: { ...definition, enabled: doc.enabled },
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** The API form: server attributes plus the definition's keys at the top level. */
export function workflowJson(record: DefinitionRecord): JsonObject {
  const { id, rev, enabled, createdAt, updatedAt, definition } = record;
  return { id, rev, createdAt, updatedAt, ...(definition as unknown as JsonObject), enabled };
}

const prefixed = (pathPrefix: string, path: string): string =>
  pathPrefix ? `${pathPrefix}${path === '$' ? '' : `.${path}`}` : path;

/** Parses and validates a definition to be saved as `definitionId` (which names a callable trigger without eventName). */
function parseOrThrow(input: unknown, definitionId: string, pathPrefix = ''): Definition {
  const result = parseDefinition(input, {
    checkRegex: re2CompileError,
    checkJsonSchema: jsonSchemaError,
    newId: newStepId,
    definitionId,
  });
  if (!result.ok) {
    const problems = result.problems.map((p) => ({ path: prefixed(pathPrefix, p.path), message: p.message }));
    throw new ValidationError(problems, 'the workflow definition is not valid');
  }
  return result.definition;
}

/** A definition about to be saved under `id`; `pathPrefix` locates it in the request body. */
interface Pending {
  id: string;
  definition: Definition;
  pathPrefix: string;
}

const isCallable = (definition: Definition): boolean => definition.trigger.callable === true;

/**
 * Problems with the literal targets of `workflow.call` and `app.scheduler.schedule-workflow` steps: each
 * must name a callable definition of the same org, among those being saved (`pending`, which may target
 * each other and themselves) or already stored. Targets given as references are checked at run time.
 */
async function callTargetProblems(org: string, pending: readonly Pending[]): Promise<Problem[]> {
  const saving = new Map(pending.map((p) => [p.id, p.definition]));
  const problems: Problem[] = [];
  for (const { definition, pathPrefix } of pending) {
    for (const { step, workflowId } of literalCallTargets(definition)) {
      const path = prefixed(pathPrefix, formatPath(['steps', step, 'params', 'workflowId']));
      let target = saving.get(workflowId);
      if (target === undefined) {
        const doc = await WorkflowModel.findOne({ _id: workflowId, org }).lean<WorkflowDoc>();
        target = doc ? definitionOf(doc) : undefined;
      }
      if (target === undefined) {
        problems.push({ path, message: `workflow "${workflowId}" is not a workflow of this org` });
      } else if (!isCallable(target)) {
        problems.push({
          path,
          message: `workflow "${workflowId}" (${target.name}) is not callable: only a workflow whose trigger has "callable": true can be called or scheduled`,
        });
      }
    }
  }
  return problems;
}

async function checkCallTargets(org: string, pending: readonly Pending[]): Promise<void> {
  const problems = await callTargetProblems(org, pending);
  if (problems.length > 0) throw new ValidationError(problems, 'the workflow definition is not valid');
}

/**
 * Runs `write` (which enables `adding` definitions) only if the org stays within its plan. The count
 * and the write happen under the org's plan lock, so two simultaneous enables cannot both pass.
 */
async function withinPlan<T>(
  org: string,
  maxActive: number,
  adding: number,
  except: string | undefined,
  write: () => Promise<T>,
): Promise<T> {
  if (adding <= 0) return write();
  return withRecordLock(`plan:${org}`, async () => {
    const filter = except ? { org, enabled: true, _id: { $ne: except } } : { org, enabled: true };
    const active = await WorkflowModel.countDocuments(filter);
    if (active + adding > maxActive) {
      throw new ConflictError(
        'plan_limit',
        `the plan allows ${maxActive} active workflows and ${active} are active; disable one before enabling another`,
      );
    }
    return write();
  });
}

async function insert(org: string, id: string, definition: Definition): Promise<DefinitionRecord> {
  const now = new Date();
  const doc = await WorkflowModel.create({
    _id: id,
    org,
    name: definition.name,
    eventName: canonicalName(definition.trigger.eventName),
    enabled: definition.enabled,
    rev: 1,
    formatVersion: DEFINITION_FORMAT_VERSION,
    definitionJson: JSON.stringify(definition),
    createdAt: now,
    updatedAt: now,
  });
  return toDefinitionRecord(doc.toObject() as WorkflowDoc);
}

export async function createDefinition(org: string, input: unknown, maxActive: number): Promise<DefinitionRecord> {
  const id = newId();
  const definition = parseOrThrow(input, id);
  await checkCallTargets(org, [{ id, definition, pathPrefix: '' }]);
  return withinPlan(org, maxActive, definition.enabled ? 1 : 0, undefined, () => insert(org, id, definition));
}

const ImportBodySchema = z.object({ workflows: z.array(z.unknown()).min(1).max(100) });

/** `kustomer.workflow.<id>.call`: the event name an export gives a callable definition names its id. */
const CALL_EVENT = /^workflow\.([^.]+)\.call$/;

/**
 * The id a definition had where it was exported: its `id`, or for a callable one without it, the id in
 * its event name. Other definitions of the same import name it in their call targets.
 */
function exportedId(input: unknown): string | undefined {
  if (!isPlainObject(input)) return undefined;
  if (typeof input['id'] === 'string' && input['id'] !== '') return input['id'];
  const trigger = input['trigger'];
  if (!isPlainObject(trigger) || trigger['callable'] !== true || typeof trigger['eventName'] !== 'string') {
    return undefined;
  }
  return CALL_EVENT.exec(canonicalName(trigger['eventName']))?.[1];
}

/**
 * Import one definition or an app definition `{workflows: [...]}` (a body with a `workflows` key is an
 * app): all are validated before any is stored. Definitions get new ids; call
 * and schedule targets naming the exported id of another definition of the same import are rewritten to
 * its new id, so an exported chain of callable workflows imports as a working chain.
 */
export async function importDefinitions(org: string, body: unknown, maxActive: number): Promise<DefinitionRecord[]> {
  const app = ImportBodySchema.safeParse(body);
  if (!app.success && isPlainObject(body) && 'workflows' in body) {
    throw new ValidationError(problemsFromZod(app.error), 'the imported app is not valid');
  }
  const inputs = app.success ? app.data.workflows : [body];
  const prefixOf = (i: number): string => (app.success ? `workflows[${i}]` : '');
  const ids = inputs.map(() => newId());
  const renamed = new Map<string, string>();
  inputs.forEach((input, i) => {
    const old = exportedId(input);
    const id = ids[i];
    if (old !== undefined && id !== undefined && !renamed.has(old)) renamed.set(old, id);
  });
  const problems: Problem[] = [];
  const pending: Pending[] = [];
  inputs.forEach((input, i) => {
    const id = ids[i] ?? newId();
    try {
      const definition = renameCallTargets(parseOrThrow(input, id, prefixOf(i)), renamed);
      pending.push({ id, definition, pathPrefix: prefixOf(i) });
    } catch (error) {
      if (error instanceof ValidationError) problems.push(...error.details);
      else throw error;
    }
  });
  if (problems.length === 0) problems.push(...(await callTargetProblems(org, pending)));
  if (problems.length > 0) throw new ValidationError(problems, 'the imported workflows are not valid');
  const enabling = pending.filter((p) => p.definition.enabled).length;
  return withinPlan(org, maxActive, enabling, undefined, async () => {
    const created: DefinitionRecord[] = [];
    for (const { id, definition } of pending) created.push(await insert(org, id, definition));
    return created;
  });
}

export async function getDefinition(org: string, id: string): Promise<DefinitionRecord> {
  const doc = await WorkflowModel.findOne({ _id: id, org }).lean<WorkflowDoc>();
  if (!doc) throw new NotFoundError('workflow', id);
  return toDefinitionRecord(doc);
}

export async function listDefinitions(org: string): Promise<DefinitionRecord[]> {
  const docs = await WorkflowModel.find({ org }).sort({ createdAt: 1, _id: 1 }).lean<WorkflowDoc[]>();
  return docs.map(toDefinitionRecord);
}

/**
 * Definitions (enabled or not) listening to an event, for dispatch and its explanations. Callable
 * definitions are left out: they run only when called, never on events (even one named like their
 * `workflow.<id>.call`).
 */
export async function definitionsForEvent(org: string, eventName: string): Promise<DefinitionRecord[]> {
  const docs = await WorkflowModel.find({ org, eventName: canonicalName(eventName) })
    .sort({ _id: 1 })
    .lean<WorkflowDoc[]>();
  return docs.map(toDefinitionRecord).filter((record) => !isCallable(record.definition));
}

/**
 * The callable definition `id` of the org at its current revision, for `POST /v1/workflows/:id/call`,
 * `workflow.call` steps and scheduled runs. Throws NotFoundError when there is none, and ConflictError
 * (`not_callable`, `workflow_disabled`) when it is not callable or not enabled.
 */
export async function getCallable(org: string, id: string): Promise<DefinitionRecord> {
  const record = await getDefinition(org, id);
  if (!isCallable(record.definition)) {
    throw new ConflictError(
      'not_callable',
      `workflow ${JSON.stringify(id)} is not callable: only a workflow whose trigger has "callable": true can be called or scheduled`,
    );
  }
  if (!record.enabled) {
    throw new ConflictError('workflow_disabled', `workflow ${JSON.stringify(id)} is disabled; enable it to call it`);
  }
  return record;
}

/**
 * PUT: top-level keys of the body replace those of the stored definition (a body with only `steps`
 * keeps everything else); the whole result is validated and `rev` increments. Runs in flight keep
 * the revision they started with.
 */
export async function replaceDefinition(
  org: string,
  id: string,
  body: unknown,
  maxActive: number,
): Promise<DefinitionRecord> {
  const current = await getDefinition(org, id);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ path: '$', message: 'expected a JSON object' }]);
  }
  const definition = parseOrThrow({ ...current.definition, ...body }, id);
  // A PUT that changes nothing (a client saving what it read) is not a new revision.
  if (jsonEqual(definition, current.definition)) return current;
  await checkCallTargets(org, [{ id, definition, pathPrefix: '' }]);
  const adding = definition.enabled && !current.enabled ? 1 : 0;
  return withinPlan(org, maxActive, adding, id, () => save(org, id, current.rev, definition));
}

export async function setDefinitionEnabled(org: string, id: string, enabled: boolean, maxActive: number) {
  const current = await getDefinition(org, id);
  if (current.enabled === enabled) return current;
  return withinPlan(org, maxActive, enabled ? 1 : 0, id, () =>
    save(org, id, current.rev, { ...current.definition, enabled }),
  );
}

/**
 * Compare-and-set on `rev`, so two concurrent saves cannot silently overwrite each other. Under the
 * record lock: FerretDB does not make a filtered update atomic.
 */
async function save(org: string, id: string, rev: number, definition: Definition): Promise<DefinitionRecord> {
  const doc = await withRecordLock(`workflow:${id}`, async () => {
    const current = await WorkflowModel.findOne({ _id: id, org }).lean<WorkflowDoc>();
    if (!current) throw new NotFoundError('workflow', id);
    if (current.rev !== rev) {
      throw new ConflictError('concurrent_update', `workflow ${id} was changed by someone else; read it and retry`);
    }
    return WorkflowModel.findOneAndUpdate(
      { _id: id, org },
      {
        $set: {
          name: definition.name,
          eventName: canonicalName(definition.trigger.eventName),
          enabled: definition.enabled,
          rev: rev + 1,
          formatVersion: DEFINITION_FORMAT_VERSION,
          definitionJson: JSON.stringify(definition),
          updatedAt: new Date(),
        },
      },
      { returnDocument: 'after' },
    ).lean<WorkflowDoc>();
  });
  if (!doc) throw new NotFoundError('workflow', id);
  return toDefinitionRecord(doc);
}

export async function deleteDefinition(org: string, id: string): Promise<void> {
  const result = await WorkflowModel.deleteOne({ _id: id, org });
  if (result.deletedCount === 0) throw new NotFoundError('workflow', id);
}
