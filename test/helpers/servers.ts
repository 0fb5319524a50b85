import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';

/** Server options for TestWorkflowEnvironment.createTimeSkipping that use the locally prepared test server. */
export function timeSkippingServer(): { executable: { type: 'existing-path'; path: string } } | undefined {
  const path = inject('testServerPath');
  return path ? { executable: { type: 'existing-path', path } } : undefined;
}

/** A time-skipping environment on a fresh Java test server (one JVM per call: share it per file). */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({ server: timeSkippingServer() });
}

/** Test environment on the shared dev server started by test/global-setup.ts (no time skipping). */
export function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
  });
}

/** MongoDB URI of the shared server with its own database name, so test files do not see each other's data. */
export function mongoUriFor(dbName: string): string {
  const uri = new URL(inject('mongoUri'));
  uri.pathname = `/${dbName}`;
  return uri.toString();
}

/** The interpreter, bundled once for the whole test run by the global setup (webpack takes seconds). */
export function workflowBundle(): { codePath: string } {
  return { codePath: inject('workflowBundlePath') };
}
