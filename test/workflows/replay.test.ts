import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../helpers/servers';

/**
 * Replays recorded interpreter histories against today's workflow code. A change that would make a
 * run in flight take a different path fails here with a determinism error: such a change needs
 * `patched()` (see README, "Changing the interpreter").
 */
const DIR = path.resolve(__dirname, '../fixtures/histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.history.json'));

describe('interpreter replay', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it.each(files)('replays %s without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file);
  });
});
