/**
 * What actually happened, read from Temporal (every run of the org, by its search attribute) and from
 * the database (every message, note and conversation the runs wrote), not from what the senders saw.
 */
import type { Client } from '@temporalio/client';
import mongoose from 'mongoose';
import { sleep } from '../../scripts/dev/process-utils';
import { noteBody, type Load } from './load';

export interface Verdict {
  eventsSent: number;
  accepted: number;
  runsExpected: number;
  runsCompleted: number;
  /** Side effects written more than once (messages, notes, message counts, tags). */
  duplicates: number;
  /** Accepted events whose runs did not all complete. */
  lost: number;
  /** Side effects a completed run should have written and did not. */
  missing: number;
  /** Runs of the org that no accepted event named (a start the client never saw succeed). */
  unexpectedRuns: number;
  /** The first few problems, for the report. */
  problems: string[];
}

interface RunInfo {
  status: string;
}

async function listRuns(client: Client, org: string): Promise<Map<string, RunInfo>> {
  const runs = new Map<string, RunInfo>();
  for await (const info of client.workflow.list({ query: `SwitchboardOrg = "${org}"` })) {
    runs.set(info.workflowId, { status: info.status.name });
  }
  return runs;
}

/** Temporal's visibility lags its histories a little: waits until every expected run shows closed. */
async function settledRuns(client: Client, org: string, expected: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await listRuns(client, org);
    const open = expected.filter((id) => (runs.get(id)?.status ?? 'RUNNING') === 'RUNNING');
    if (open.length === 0 || Date.now() > deadline) return runs;
    await sleep(1_000);
  }
}

type Doc = Record<string, unknown>;

async function readDocs(uri: string, org: string) {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 30_000 }).asPromise();
  try {
    const all = (name: string) => conn.collection(name).find({ org }).toArray() as Promise<Doc[]>;
    const [conversations, messages, notes] = await Promise.all([all('conversations'), all('messages'), all('notes')]);
    return { conversations, messages, notes };
  } finally {
    await conn.close();
  }
}

const groupBy = <T>(items: T[], key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
};

export async function verify(client: Client, mongoUri: string, load: Load): Promise<Verdict> {
  const accepted = load.events.filter((e) => e.acceptedAt !== undefined);
  const handlerCount = load.handlers.length;
  const expectedIds = accepted.flatMap((e) => e.runs.map((r) => r.id));
  const runs = await settledRuns(client, load.org, expectedIds);
  const docs = await readDocs(mongoUri, load.org);
  const conversations = new Map(docs.conversations.map((c) => [String(c._id), c]));
  const messagesOf = groupBy(docs.messages, (m) => String(m.conversation));
  const notesOf = groupBy(docs.notes, (n) => String(n.conversation));
  const problems: string[] = [];
  const problem = (text: string): void => {
    if (problems.length < 10) problems.push(text);
  };
  let duplicates = 0;
  let missing = 0;
  let lost = 0;
  let runsCompleted = 0;

  for (const event of accepted) {
    if (event.runs.length !== handlerCount)
      problem(`${event.key}: ${event.runs.length} runs named, ${handlerCount} expected`);
    const completed = event.runs.filter((r) => runs.get(r.id)?.status === 'COMPLETED');
    runsCompleted += completed.length;
    if (completed.length < handlerCount) {
      lost++;
      const states = event.runs.map((r) => runs.get(r.id)?.status ?? 'missing').join(',');
      problem(`${event.key}: runs ${states}${event.problem ? ` (${event.problem})` : ''}`);
    }
    const conv = conversations.get(event.conversation);
    if (!conv) {
      missing++;
      problem(`${event.key}: conversation ${event.conversation} not found`);
      continue;
    }
    const messages = messagesOf.get(event.conversation) ?? [];
    const notes = notesOf.get(event.conversation) ?? [];
    const tags = (conv.tags as string[] | undefined) ?? [];
    const custom = JSON.parse(String(conv.customJson ?? '{}')) as Record<string, unknown>;
    // Only the runs write messages and notes into these conversations: anything beyond one each is a duplicate.
    const extraMessages = messages.filter((m) => !event.runs.some((r) => r.id === m.createdByRun)).length;
    duplicates += extraMessages;
    const count = Number(conv.messageCount ?? 0);
    if (count > handlerCount) duplicates += count - handlerCount;
    for (const run of event.runs) {
      const handler = load.handlers.find((h) => h.id === run.workflow);
      if (!handler) continue;
      const done = runs.get(run.id)?.status === 'COMPLETED';
      const counts = {
        message: messages.filter((m) => m.createdByRun === run.id).length,
        note: notes.filter((n) => n.body === noteBody(handler.tag, event.key)).length,
        tag: tags.filter((t) => t === handler.tag).length,
      };
      for (const [what, n] of Object.entries(counts)) {
        if (n > 1) {
          duplicates += n - 1;
          problem(`${event.key}: ${n} x ${what} of ${handler.tag}`);
        } else if (n === 0 && done) {
          missing++;
          problem(`${event.key}: no ${what} of ${handler.tag} though its run completed`);
        }
      }
      if (done && custom[`${handler.tag}Key`] !== event.key) {
        missing++;
        problem(`${event.key}: custom ${handler.tag}Key is ${JSON.stringify(custom[`${handler.tag}Key`])}`);
      }
    }
    if (count < handlerCount && completed.length === handlerCount) {
      missing++;
      problem(`${event.key}: messageCount ${count}, ${handlerCount} expected`);
    }
    if (extraMessages > 0 || count > handlerCount) problem(`${event.key}: ${messages.length} messages, count ${count}`);
  }
  const expected = new Set(expectedIds);
  const unexpectedRuns = [...runs.keys()].filter((id) => !expected.has(id)).length;
  return {
    eventsSent: load.events.length,
    accepted: accepted.length,
    runsExpected: accepted.length * handlerCount,
    runsCompleted,
    duplicates,
    lost,
    missing,
    unexpectedRuns,
    problems,
  };
}
