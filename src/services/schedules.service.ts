import type { Client, ScheduleDescription } from '@temporalio/client';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { z } from 'zod';
import { parseDuration } from '../core/durations';
import type { JsonObject } from '../core/json';
import { JsonObjectSchema } from '../core/json.schema';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { newId } from '../models/ids';
import { ScheduleModel, type ScheduleDoc } from '../models/schedule.model';
import type { RetryDefaults } from '../workflows/run.types';
import { scheduledRun, type ScheduledRunInput } from '../workflows/scheduled.workflow';
import { SA_ORG, SA_SCHEDULE, SA_WORKFLOW } from '../workflows/search-attributes';
import { loadCallableTarget, scheduledRunSearchAttributes } from './scheduled-runs.service';

export const OVERLAP_POLICIES = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  cancel_other: ScheduleOverlapPolicy.CANCEL_OTHER,
  terminate_other: ScheduleOverlapPolicy.TERMINATE_OTHER,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
} as const;
type Overlap = keyof typeof OVERLAP_POLICIES;

/** The shortest interval a schedule may have. */
const MIN_INTERVAL_MS = 1000;

const timezone = z
  .string()
  .min(1)
  .max(100)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'not an IANA time zone ("Europe/Paris", "UTC")');

const interval = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = parseDuration(value);
  if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
  else if (parsed.ms < MIN_INTERVAL_MS) ctx.addIssue({ code: 'custom', message: 'an interval is 1 second at least' });
  return 'ms' in parsed ? parsed.ms : 0;
});

/** `POST /v1/schedules`: a callable definition, when (a cron expression or an interval), its inputs, overlap. */
export const CreateScheduleSchema = z
  .strictObject({
    workflow: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'not a workflow id'),
    cron: z.string().min(1).max(200).optional(),
    interval: interval.optional(),
    timezone: timezone.optional(),
    inputs: JsonObjectSchema.default({}),
    overlap: z.enum(Object.keys(OVERLAP_POLICIES) as [Overlap, ...Overlap[]]).default('skip'),
  })
  .refine((body) => (body.cron === undefined) !== (body.interval === undefined), {
    message: 'give either "cron" or "interval"',
    path: ['cron'],
  });
export type CreateSchedule = z.output<typeof CreateScheduleSchema>;

/** The pause note of a schedule paused because its definition was disabled. */
const DISABLED_NOTE = 'paused: its workflow is disabled';

/**
 * Recurring schedules, on Temporal Schedules: each fire starts a `scheduledRun` of the callable
 * definition (its current revision then) with the fire time in its inputs as `firedAt`. A schedule
 * belongs to its org (the id starts with the org id; another org gets 404) and follows its definition's
 * enable switch (`onDefinitionEnabledChanged`).
 */
export function createScheduleService(client: Client, deps: { taskQueue: string; retry: RetryDefaults }) {
  async function owned(org: string, id: string): Promise<ScheduleDoc> {
    const doc = await ScheduleModel.findOne({ _id: id, org }).lean<ScheduleDoc>();
    if (!doc) throw new NotFoundError('schedule', id);
    return doc;
  }

  function toJson(doc: ScheduleDoc, description: ScheduleDescription | null): JsonObject {
    return {
      id: doc._id,
      workflow: doc.workflow,
      ...(doc.cron ? { cron: doc.cron } : {}),
      ...(doc.intervalMs ? { interval: `PT${doc.intervalMs / 1000}S` } : {}),
      timezone: doc.timezone ?? 'UTC',
      overlap: doc.overlap,
      inputs: JSON.parse(doc.inputsJson) as JsonObject,
      paused: description?.state.paused ?? null,
      note: description?.state.note ?? null,
      pausedByWorkflow: doc.pausedByDefinition,
      nextFireTimes: (description?.info.nextActionTimes ?? []).map((d) => d.toISOString()),
      fires: description?.info.numActionsTaken ?? 0,
      recentFires: (description?.info.recentActions ?? []).map((a) => ({
        scheduledAt: a.scheduledAt.toISOString(),
        takenAt: a.takenAt.toISOString(),
        run: a.action.workflow.workflowId,
      })),
      createdAt: doc.createdAt.toISOString(),
    };
  }

  async function describe(id: string): Promise<ScheduleDescription | null> {
    try {
      return await client.schedule.getHandle(id).describe();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return null;
      throw error;
    }
  }

  async function setPausedByDefinition(doc: ScheduleDoc, paused: boolean): Promise<void> {
    const handle = client.schedule.getHandle(doc._id);
    if (paused) await handle.pause(DISABLED_NOTE);
    else await handle.unpause('resumed: its workflow is enabled');
    await ScheduleModel.updateOne({ _id: doc._id }, { $set: { pausedByDefinition: paused } });
  }

  async function remove(org: string, id: string): Promise<void> {
    await owned(org, id);
    await client.schedule
      .getHandle(id)
      .delete()
      .catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
    await ScheduleModel.deleteOne({ _id: id, org });
  }

  return {
    remove,

    async create(org: string, body: CreateSchedule): Promise<JsonObject> {
      // The target must be a callable definition of this org now; each fire checks again.
      const target = await loadCallableTarget(org, body.workflow).catch((error: unknown) => {
        if (error instanceof Error && 'code' in error && error.code === 'schedule_target_disabled') return null;
        throw error;
      });
      const enabled = target !== null;
      const id = `${org}-${newId().slice(0, 12)}`;
      const input: ScheduledRunInput = {
        org,
        definitionId: body.workflow,
        inputs: body.inputs,
        schedule: id,
        depth: 0,
        retry: deps.retry,
      };
      const doc: ScheduleDoc = {
        _id: id,
        org,
        workflow: body.workflow,
        cron: body.cron ?? null,
        intervalMs: body.interval ?? null,
        timezone: body.timezone ?? null,
        overlap: body.overlap,
        inputsJson: JSON.stringify(body.inputs),
        pausedByDefinition: !enabled,
        createdAt: new Date(),
      };
      await ScheduleModel.create(doc);
      try {
        await client.schedule.create({
          scheduleId: id,
          spec: body.cron
            ? { cronExpressions: [body.cron], ...(body.timezone ? { timezone: body.timezone } : {}) }
            : { intervals: [{ every: body.interval ?? MIN_INTERVAL_MS }] },
          action: {
            type: 'startWorkflow',
            workflowType: scheduledRun,
            workflowId: id,
            taskQueue: deps.taskQueue,
            args: [input],
            typedSearchAttributes: [...scheduledRunSearchAttributes(input), { key: SA_SCHEDULE, value: id }],
            memo: { event: id, schedule: id },
          },
          policies: { overlap: OVERLAP_POLICIES[body.overlap] },
          state: enabled ? {} : { paused: true, note: DISABLED_NOTE },
          memo: { org, workflow: body.workflow },
          typedSearchAttributes: [
            { key: SA_ORG, value: org },
            { key: SA_WORKFLOW, value: body.workflow },
          ],
        });
      } catch (error) {
        await ScheduleModel.deleteOne({ _id: id });
        // The server validates the cron expression; the client turns its INVALID_ARGUMENT into a TypeError.
        if (error instanceof TypeError) throw new ValidationError([{ path: 'cron', message: error.message }]);
        throw error;
      }
      return toJson(doc, await describe(id));
    },

    async list(org: string): Promise<JsonObject[]> {
      const docs = await ScheduleModel.find({ org }).sort({ createdAt: 1, _id: 1 }).lean<ScheduleDoc[]>();
      return Promise.all(docs.map(async (doc) => toJson(doc, await describe(doc._id))));
    },

    async get(org: string, id: string): Promise<JsonObject> {
      const doc = await owned(org, id);
      return toJson(doc, await describe(id));
    },

    async pause(org: string, id: string): Promise<JsonObject> {
      const doc = await owned(org, id);
      await client.schedule.getHandle(id).pause('paused through the API');
      return toJson(doc, await describe(id));
    },

    /** A schedule paused because its definition is disabled resumes when the definition is enabled (409 until then). */
    async resume(org: string, id: string): Promise<JsonObject> {
      const doc = await owned(org, id);
      if (doc.pausedByDefinition) {
        throw new ConflictError('workflow_disabled', `workflow ${doc.workflow} is disabled: enable it to resume`);
      }
      await client.schedule.getHandle(id).unpause('resumed through the API');
      return toJson(doc, await describe(id));
    },

    /** Fires now, whatever the overlap policy (a run already going does not stop a manual fire). */
    async trigger(org: string, id: string): Promise<JsonObject> {
      const doc = await owned(org, id);
      await client.schedule.getHandle(id).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      return toJson(doc, await describe(id));
    },

    /**
     * Follows a definition's enable switch: disabling pauses its running schedules (marked as paused by
     * the switch); enabling resumes those, and only those. To be called after the switch is saved.
     */
    async onDefinitionEnabledChanged(org: string, definitionId: string, enabled: boolean): Promise<void> {
      const docs = await ScheduleModel.find({ org, workflow: definitionId }).lean<ScheduleDoc[]>();
      for (const doc of docs) {
        if (enabled && doc.pausedByDefinition) await setPausedByDefinition(doc, false);
        if (!enabled && !doc.pausedByDefinition) {
          const description = await describe(doc._id);
          if (description && !description.state.paused) await setPausedByDefinition(doc, true);
        }
      }
    },

    /** Deletes the schedules of a deleted definition (they could only fail from now on). */
    async onDefinitionDeleted(org: string, definitionId: string): Promise<void> {
      const docs = await ScheduleModel.find({ org, workflow: definitionId }).lean<ScheduleDoc[]>();
      for (const doc of docs) await remove(org, doc._id);
    },
  };
}

export type ScheduleService = ReturnType<typeof createScheduleService>;
