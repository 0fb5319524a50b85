/**
 * Vitest globalSetup: starts one ephemeral, headless Temporal dev server and one MongoDB-compatible server for
 * the whole run (or uses TEMPORAL_ADDRESS / MONGODB_URI), and prepares the Java time-skipping test server.
 * First run on a machine builds/resolves the binaries into the user cache (minutes); later runs take seconds.
 * It also bundles the interpreter once for every test file (webpack costs seconds of CPU per bundle).
 * Tests read the values with `inject('temporalAddress')` etc. from 'vitest'.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { log } from '../scripts/dev/process-utils';
import { describeMongo, startServers } from '../scripts/dev/servers';
import { ensureTestServer } from '../scripts/dev/toolchain';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    mongoUri: string;
    /** Executable for `{ type: 'existing-path' }`, or '' to let the SDK download its default. */
    testServerPath: string;
    /** A file holding the interpreter's workflow bundle, built once for the run. */
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-bundle-'));
  const workflowBundlePath = path.join(bundleDir, 'workflows.js');
  const [servers, testServerPath] = await Promise.all([
    startServers({ persistent: false, ui: false }),
    ensureTestServer(),
    bundleWorkflowCode({
      workflowsPath: path.resolve(__dirname, '../src/workflows/index.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    }).then(({ code }) => writeFileSync(workflowBundlePath, code)),
  ]);
  const { temporal, mongo } = servers;
  log(
    `test servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
      `temporal ${temporal.kind} at ${temporal.address}${temporal.binary ? ` (${temporal.binary})` : ''}, ` +
      `mongo ${describeMongo(mongo)} at ${mongo.uri}, time-skipping server ${testServerPath ?? 'SDK default'}`,
  );
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalNamespace', temporal.namespace);
  project.provide('mongoUri', mongo.uri);
  project.provide('testServerPath', testServerPath ?? '');
  project.provide('workflowBundlePath', workflowBundlePath);
  return async () => {
    await servers.stop();
    rmSync(bundleDir, { recursive: true, force: true });
  };
}
