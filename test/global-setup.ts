/**
 * Vitest globalSetup: starts one ephemeral, headless Temporal dev server and one MongoDB-compatible server for
 * the whole run (or uses TEMPORAL_ADDRESS / MONGODB_URI), and prepares the Java time-skipping test server.
 * First run on a machine builds/resolves the binaries into the user cache (minutes); later runs take seconds.
 * Tests read the values with `inject('temporalAddress')` etc. from 'vitest'.
 */
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
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const [servers, testServerPath] = await Promise.all([
    startServers({ persistent: false, ui: false }),
    ensureTestServer(),
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
  return async () => {
    await servers.stop();
  };
}
