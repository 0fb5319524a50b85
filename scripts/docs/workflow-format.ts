/**
 * `npm run docs`: writes the action reference of docs/workflow-format.md from the catalogue
 * (`ACTIONS` in src/core/actions.catalog.ts), and the reference of the built-in steps from theirs
 * (`BUILTIN_STEPS` in src/core/builtins.catalog.ts): every action or step with the names it answers to,
 * each param with its type, whether it is required and what it means, and its output. Each text goes
 * between its two marker comments; the rest of the document is written by hand.
 * test/scripts/docs/workflow-format.test.ts fails when the committed text differs from what this
 * produces, so the reference cannot drift from the catalogue.
 *
 * Types and bounds come from the zod schemas themselves (`z.toJSONSchema`, on the value an action
 * receives after casting); what a param means is written here, in `ACTION_DOCS`, whose type names
 * every action, so a new action does not type-check until it is described.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { z } from 'zod';
import { ACTION_NAMES, ACTIONS, type ActionName } from '../../src/core/actions.catalog';
import { BUILTIN_STEP_NAMES, BUILTIN_STEPS, type BuiltinStep } from '../../src/core/builtins.catalog';
import { ConditionSchema } from '../../src/core/definition.schema';
import { JsonObjectSchema, JsonValueSchema } from '../../src/core/json.schema';

export const DOC_PATH = path.resolve(__dirname, '..', '..', 'docs', 'workflow-format.md');
export const BEGIN_MARKER = '<!-- BEGIN GENERATED: actions (npm run docs; edit scripts/docs/workflow-format.ts) -->';
export const END_MARKER = '<!-- END GENERATED: actions -->';
export const BUILTIN_BEGIN_MARKER =
  '<!-- BEGIN GENERATED: built-in steps (npm run docs; edit scripts/docs/workflow-format.ts) -->';
export const BUILTIN_END_MARKER = '<!-- END GENERATED: built-in steps -->';

interface ActionDoc {
  /**
   * `lookup`: reads only; `write`: changes a record and publishes its event, once per (run, step). The
   * `http`: calls another server (a regular activity). The built-in steps: `wait` (a durable timer or
   * signal), `answer` (sets outputs), `call` (a child run).
   */
  kind: 'lookup' | 'write' | 'utility' | 'http' | 'wait' | 'answer' | 'call';
  summary: string;
  /** What each param means; every param of the action's schema must be here, and nothing else. */
  params: Record<string, string>;
  output: string;
}

const RECORD_OR_EMPTY = 'found record, or `{}` when there is none (branch on it with `exists` / `dne`)';

const ACTION_DOCS: { [A in ActionName]: ActionDoc } = {
  'customer.find': {
    kind: 'lookup',
    summary: 'Finds a customer by id, email address or external id, tried in that order.',
    params: {
      identifier: 'a customer id, an email address (any case; tried only when it holds `@`) or an external id',
    },
    output: `the ${RECORD_OR_EMPTY}`,
  },
  'customer.find-by-email': {
    kind: 'lookup',
    summary: 'Finds the oldest customer with this email address.',
    params: { email: 'email address, compared without regard to case' },
    output: `the ${RECORD_OR_EMPTY}`,
  },
  'customer.find-by-external-id': {
    kind: 'lookup',
    summary: 'Finds the oldest customer with this external id.',
    params: { externalId: 'the id the customer has in another system' },
    output: `the ${RECORD_OR_EMPTY}`,
  },
  'customer.create': {
    kind: 'write',
    summary: 'Creates a customer; publishes `customer.create`.',
    params: {
      name: 'display name',
      emails: 'email addresses, each `{"email", "type"?}`',
      phones: 'phone numbers, each `{"phone", "type"?}`',
      externalId: 'the id the customer has in another system',
      custom: 'custom attributes',
      email: 'one more email address, appended to `emails`',
      phone: 'one more phone number, appended to `phones`',
    },
    output: 'the new customer',
  },
  'customer.update': {
    kind: 'write',
    summary: 'Changes a customer; publishes `customer.update` when anything changed.',
    params: {
      id: 'the customer to change (fails with `not_found` when there is none)',
      name: 'display name',
      emails: 'replaces the email addresses',
      phones: 'replaces the phone numbers',
      externalId: 'the id the customer has in another system',
      custom: 'custom attributes, merged key by key into the stored ones',
    },
    output: 'the customer as changed',
  },
  'conversation.find-by-id': {
    kind: 'lookup',
    summary: 'Reads a conversation.',
    params: { id: 'conversation id' },
    output: `the ${RECORD_OR_EMPTY}`,
  },
  'conversation.create': {
    kind: 'write',
    summary: 'Creates a conversation for a customer; publishes `conversation.create`.',
    params: {
      customer: 'the customer the conversation is with (fails with `invalid_reference` when there is none)',
      name: 'title',
      channels: 'channels, such as `email` or `chat`',
      status: 'defaults to `open`',
      priority: '1 (default) to 5',
      tags: 'tag names or ids',
      assignedUsers: 'user ids',
      snoozedUntil: 'when a snoozed conversation wakes up',
      custom: 'custom attributes',
    },
    output: 'the new conversation',
  },
  'conversation.update': {
    kind: 'write',
    summary:
      'Changes a conversation; publishes `conversation.update` when anything changed. Leaving `snoozed` clears `snoozedUntil`.',
    params: {
      id: 'the conversation to change (fails with `not_found` when there is none)',
      name: 'title',
      channels: 'replaces the channels',
      status: 'new status',
      priority: '1 to 5',
      tags: 'replaces the tags (see `conversation.append-tags` to add some)',
      assignedUsers: 'replaces the assigned users',
      snoozedUntil: 'when a snoozed conversation wakes up; `null` clears it',
      custom: 'custom attributes, merged key by key into the stored ones',
    },
    output: 'the conversation as changed',
  },
  'conversation.append-tags': {
    kind: 'write',
    summary: 'Adds tags a conversation does not have yet; publishes `conversation.update` when any was new.',
    params: {
      id: 'the conversation (fails with `not_found` when there is none)',
      tags: 'tags to add; a single string is one tag',
    },
    output: 'the conversation as changed',
  },
  'conversation.remove-tags': {
    kind: 'write',
    summary: 'Removes tags from a conversation; publishes `conversation.update` when any was there.',
    params: {
      id: 'the conversation (fails with `not_found` when there is none)',
      tags: 'tags to remove; a single string is one tag',
    },
    output: 'the conversation as changed',
  },
  'conversation.assign-user': {
    kind: 'write',
    summary:
      'Makes a user the assignee of a conversation, replacing earlier assignees; publishes `conversation.update` when that changed anything.',
    params: {
      id: 'the conversation (fails with `not_found` when there is none)',
      user: 'user id',
    },
    output: 'the conversation as changed',
  },
  'message.create': {
    kind: 'write',
    summary:
      'Sends an outbound reply in a conversation; publishes `message.create`, then `conversation.update` for the counters it moves.',
    params: {
      conversation: 'the conversation (fails with `invalid_reference` when there is none)',
      body: 'message text',
      subject: 'subject line',
      channel:
        "channel to send on; by default the channel of the customer's last inbound message, else the conversation's first channel, else `email`",
    },
    output: 'the new message (`direction` `out`; `directionType` `initial-out` when it is the first message)',
  },
  'message.find-by-id': {
    kind: 'lookup',
    summary: 'Reads a message.',
    params: { id: 'message id' },
    output: `the ${RECORD_OR_EMPTY}`,
  },
  'message.find-last': {
    kind: 'lookup',
    summary: 'Finds the latest message of a conversation.',
    params: {
      conversation: 'conversation id',
      direction: 'only messages in this direction',
    },
    output: `the ${RECORD_OR_EMPTY}`,
  },
  'note.create': {
    kind: 'write',
    summary: 'Adds an internal note to a conversation; publishes `note.create`.',
    params: {
      conversation: 'the conversation (fails with `invalid_reference` when there is none)',
      body: 'note text',
      userMentions: 'users mentioned, each `{"user"}`',
    },
    output: 'the new note',
  },
  'regex-match.generic': {
    kind: 'utility',
    summary: 'Matches an RE2 regular expression against a text (first match only).',
    params: {
      testString: 'the text to search',
      regex:
        'RE2 pattern; `(?i)` makes it case-insensitive; a literal pattern is compiled on save, one that comes from data and does not compile fails the step with `invalid_regex`',
    },
    output:
      '`{"match", "groups": [...], "named": {...}}`: the whole match, the capture groups in order and the named ones (`null` for a group that did not take part), or `{}` when nothing matches',
  },
  'app.scheduler.schedule-workflow': {
    kind: 'utility',
    summary:
      "Schedules a run of a callable workflow of the org, once per (run, step); the run fires at `runAt` through the org's fire window and runs the workflow's revision current then.",
    params: {
      workflowId: 'the callable workflow to run (checked when the run fires: a missing or non-callable one fails it)',
      runAt:
        '`{"type": "relative", "value": seconds or an ISO-8601 duration}` or `{"type": "absolute", "value": an ISO time}`',
      inputs: "the callable workflow's inputs (its `steps.1`)",
    },
    output:
      '`{"scheduledRunId", "fireAt"}`: the scheduled run (cancel it with `POST /v1/runs/:id/cancel`) and when it is due',
  },
  'rest-api.json': {
    kind: 'http',
    summary:
      'Calls an HTTP API (a regular activity, retried on network errors, 429 and 5xx); secret variables in its params are resolved in the activity and masked in its output.',
    params: {
      uri: 'the URL, `http` or `https` (templates welcome: `{{{variables.<id>}}}/clients/{{{steps.1.id}}}`); checked against the destination policy (README, "REST steps")',
      method: '`GET` (default), `POST`, `PUT`, `PATCH`, `DELETE` or `HEAD`, any case',
      headers: 'request headers; an `Idempotency-Key` derived from run and step is added unless given',
      qs: 'query parameters appended to `uri` (an array repeats the key)',
      data: 'the request body: an object or array is sent as JSON (`Content-Type: application/json` unless given), a string as it is; not sent with `GET` or `HEAD`',
      json: '`true`: ask for JSON (`Accept: application/json`) and parse the response body as JSON even without a JSON content type',
      timeout:
        'total milliseconds for the call, redirects and body included (default `OUTBOUND_TIMEOUT_MS`, 10 s); a timeout is retried',
      failOn4xx: '`true`: a 4xx other than 429 fails the step (`http_4xx`) instead of being its output',
    },
    output:
      '`{"response": {"statusCode", "headers", "body"}, "body"}`: `body` is the response parsed as JSON when it is JSON, else its text; network errors, timeouts, 429 and 5xx are retried (after `Retry-After`), then fail the step (`network_error`, `timeout`, `http_429`, `http_5xx`); a refused destination, an invalid URL or a response over the cap fail it at once (`destination_refused`, `invalid_url`, `response_too_large`)',
  },
  'rest-api.generic': {
    kind: 'http',
    summary: 'Like `rest-api.json`, but sends `data` as raw text.',
    params: {
      uri: 'the URL, `http` or `https` (templates welcome: `{{{variables.<id>}}}/clients/{{{steps.1.id}}}`); checked against the destination policy (README, "REST steps")',
      method: '`GET` (default), `POST`, `PUT`, `PATCH`, `DELETE` or `HEAD`, any case',
      headers: 'request headers; an `Idempotency-Key` derived from run and step is added unless given',
      qs: 'query parameters appended to `uri` (an array repeats the key)',
      data: 'the request body as raw text (`Content-Type: text/plain; charset=utf-8` unless given)',
      json: '`true`: ask for JSON (`Accept: application/json`) and parse the response body as JSON even without a JSON content type',
      timeout:
        'total milliseconds for the call, redirects and body included (default `OUTBOUND_TIMEOUT_MS`, 10 s); a timeout is retried',
      failOn4xx: '`true`: a 4xx other than 429 fails the step (`http_4xx`) instead of being its output',
    },
    output: 'as `rest-api.json`',
  },
};

/** What each built-in step does (builtins.catalog.ts has their params; the interpreter runs them). */
const BUILTIN_DOCS: { [B in BuiltinStep]: ActionDoc & { aliases?: string[] } } = {
  delay: {
    kind: 'wait',
    summary: 'Waits a duration, or until a time, on a durable timer.',
    params: {
      duration: 'how long to wait: an ISO-8601 duration (`"PT15M"`, `"P2D"`) or seconds, at most a year',
      until:
        'the time to wait for, an ISO-8601 time, usually a reference (`"/#steps.1.snoozedUntil"`); a time past goes on at once',
    },
    output: '`{"until"}`: the time it waited for (ISO-8601). Give `duration` or `until`, not both',
  },
  'wait-for-event': {
    kind: 'wait',
    summary: 'Waits for an event about the same record, or until a timeout.',
    params: {
      eventName: 'the event to wait for, with or without the `kustomer.` prefix (`"kustomer.message.create"`)',
      key: "the record the event must be about (its data's `id`, `conversation` or `customer`); by default the trigger's record, `/#steps.1.id`",
      condition:
        'a condition (section 6) tested on each such event, which it reads as this step: `/#steps.<this step>.direction`; by default any such event',
      timeout: 'how long to wait at most: an ISO-8601 duration or seconds, at most a year',
    },
    output:
      '`{"timedOut", "event"}`: `timedOut` is `true` when the timeout passed first; `event` is the data of the event that ended the wait',
  },
  'workflow.respond': {
    kind: 'answer',
    aliases: ['responsive-workflow.respond'],
    summary: "Sets the run's outputs: what a call answers (checked against `response.schema`).",
    params: {
      outputs: 'the outputs, a JSON object (values resolved as usual)',
      responseMeta: 'passed through with the answer (the call request can give one too)',
    },
    output: 'the outputs',
  },
  'workflow.call': {
    kind: 'call',
    summary: 'Runs a callable workflow of the same org as a child run and waits for it.',
    params: {
      workflowId: 'the id of a callable workflow; a literal id is checked on save, a reference when the step runs',
      inputs: "the called workflow's `steps.1`, checked against its trigger's `schema`; by default `{}`",
    },
    output: 'the outputs the called run set with `workflow.respond`',
  },
};

/** The JSON Schema of one param, as the action receives it (after casting). */
type JsonSchema = {
  type?: string;
  enum?: unknown[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
};

/** Unwraps optional, nullable and default; true when some side of a pipe demands an integer. */
function isInteger(schema: z.ZodType): boolean {
  const def = (schema as unknown as { def: { type: string; in?: z.ZodType; out?: z.ZodType; innerType?: z.ZodType } })
    .def;
  if (def.type === 'pipe') return isInteger(def.in!) || isInteger(def.out!);
  if (def.innerType !== undefined) return isInteger(def.innerType);
  return z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }).type === 'integer';
}

function unwrapped(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as { def: { innerType?: z.ZodType } }).def;
  return def.innerType === undefined ? schema : unwrapped(def.innerType);
}

function bounds(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined) return `${min}-${max}${unit}`;
  if (max !== undefined) return `at most ${max}${unit}`;
  if (min === 1 && unit === ' chars') return 'not empty';
  if (min !== undefined && min > 0) return `at least ${min}${unit}`;
  return '';
}

function describeType(s: JsonSchema, integer = false): string {
  if (s.anyOf !== undefined) {
    // A cast alternative (a transform: "true" for true) describes as any value; the typed one says more.
    const alternatives = [...new Set(s.anyOf.map((alt) => describeType(alt, integer)))];
    const typed = alternatives.filter((alt) => alt !== 'any JSON value');
    return (typed.length > 0 ? typed : alternatives).join(' or ');
  }
  if (s.enum !== undefined) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ');
  const withBounds = (name: string, range: string) => (range === '' ? name : `${name} (${range})`);
  switch (s.type) {
    case 'null':
      return '`null`';
    case 'boolean':
      return 'boolean';
    case 'string':
      if (s.format === 'email') return withBounds('email address', bounds(undefined, s.maxLength, ' chars'));
      if (s.format === 'date-time') return 'ISO-8601 date-time with offset';
      return withBounds('string', bounds(s.minLength, s.maxLength, ' chars'));
    case 'number':
    case 'integer':
      return withBounds(integer || s.type === 'integer' ? 'integer' : 'number', bounds(s.minimum, s.maximum, ''));
    case 'array':
      return withBounds(`list of ${s.items ? describeType(s.items) : 'values'}`, bounds(undefined, s.maxItems, ''));
    case 'object': {
      const keys = Object.keys(s.properties ?? {}).map((k) => (s.required?.includes(k) ? k : `${k}?`));
      return `object \`{${keys.join(', ')}}\``;
    }
    default:
      return 'any JSON value';
  }
}

interface Entry {
  name: string;
  doc: ActionDoc & { aliases?: string[] };
  schema: z.ZodObject;
}

/** The reference of actions or built-in steps, as markdown (not yet formatted). */
function reference(what: string, entries: Entry[]): string {
  const lines: string[] = [];
  lines.push(`| ${what} | kind | what it does |`, '| --- | --- | --- |');
  for (const { name, doc } of entries) lines.push(`| [\`${name}\`](#${anchor(name)}) | ${doc.kind} | ${doc.summary} |`);
  for (const { name, doc, schema } of entries) {
    const shape: Record<string, z.ZodType> = schema.shape;
    const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
    // Required: the step cannot leave it out (a param with a default is not required).
    const isRequired = (key: string) => shape[key]?.safeParse(undefined).success === false;
    const described = Object.keys(doc.params);
    const missing = Object.keys(shape).filter((key) => !described.includes(key));
    const extra = described.filter((key) => !Object.hasOwn(shape, key));
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(
        `docs of "${name}": describe ${missing.join(', ') || 'nothing more'}; remove ${extra.join(', ') || 'nothing'}`,
      );
    }
    const names = [name, ...(doc.aliases ?? [])].map((n) => `\`kustomer.${n}\``);
    const also = [...(doc.aliases ?? []).map((n) => `\`${n}\``), ...names].join(', ');
    lines.push('', `### \`${name}\``, '');
    lines.push(`${doc.summary} Also ${also}. Output: ${doc.output}.`, '');
    lines.push('| param | type | required | meaning |', '| --- | --- | --- | --- |');
    // Required params first, each group in the schema's order.
    const keys = Object.keys(shape).sort((a, b) => Number(isRequired(b)) - Number(isRequired(a)));
    for (const key of keys) {
      const field = shape[key]!;
      const property = json.properties?.[key] ?? {};
      const type = typeName(field, property);
      const required = isRequired(key) ? 'yes' : 'no';
      lines.push(`| \`${key}\` | ${type.replaceAll('|', '\\|')} | ${required} | ${doc.params[key]} |`);
    }
  }
  return lines.join('\n');
}

function typeName(field: z.ZodType, property: JsonSchema): string {
  const inner = unwrapped(field);
  if (inner === JsonObjectSchema) return 'JSON object';
  if (inner === JsonValueSchema) return 'JSON value';
  if (inner === ConditionSchema) return 'condition';
  return describeType(property, isInteger(field));
}

function actionReference(): string {
  return reference(
    'action',
    ACTION_NAMES.map((name) => ({ name, doc: ACTION_DOCS[name], schema: ACTIONS[name] as z.ZodObject })),
  );
}

function builtinReference(): string {
  return reference(
    'step',
    BUILTIN_STEP_NAMES.map((name) => ({ name, doc: BUILTIN_DOCS[name], schema: BUILTIN_STEPS[name] as z.ZodObject })),
  );
}

/** GitHub's heading anchor of `### \`name\``: lower case, punctuation other than `-` dropped. */
function anchor(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9 -]/g, '');
}

/** The text between `begin` and `end` in `doc` replaced by `markdown`, formatted. */
async function between(doc: string, begin: string, end: string, markdown: string): Promise<string> {
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${DOC_PATH} must hold ${begin} and then ${end}`);
  const options = (await prettier.resolveConfig(DOC_PATH)) ?? {};
  const generated = await prettier.format(markdown, { ...options, parser: 'markdown' });
  return `${doc.slice(0, from + begin.length)}\n\n${generated}\n${doc.slice(to)}`;
}

/** The document with the text between each pair of markers replaced by its generated reference. */
export async function withActionReference(doc: string): Promise<string> {
  const actions = await between(doc, BEGIN_MARKER, END_MARKER, actionReference());
  return between(actions, BUILTIN_BEGIN_MARKER, BUILTIN_END_MARKER, builtinReference());
}

async function main(): Promise<void> {
  const before = readFileSync(DOC_PATH, 'utf8');
  const after = await withActionReference(before);
  if (after === before) {
    console.log(`${path.relative(process.cwd(), DOC_PATH)} is up to date`);
    return;
  }
  writeFileSync(DOC_PATH, after);
  console.log(`wrote the action reference of ${path.relative(process.cwd(), DOC_PATH)}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
