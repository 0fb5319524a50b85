import { canConnect, sleep } from '../../../scripts/dev/process-utils';
import { inFlight, scenario, underLoad, until, type System } from '../scenario';
import type { Service } from '../services';

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/**
 * SIGTERM to an API with requests in flight: it must stop accepting connections, answer the requests it
 * has, and exit 0. Probes new connections every 5 ms until it is gone.
 */
async function terminateApi(system: System, api: Service): Promise<void> {
  // Best effort: wait until it has requests in flight (the senders keep it busy).
  await until(() => system.api.inFlightAt(api).length >= 2, 20_000, 1).catch(() => undefined);
  const signalled = Date.now();
  const attempts = system.api.inFlightAt(api).map((a) => a.settled.then((v) => ({ v, at: Date.now() - signalled })));
  const exiting = api.terminate();
  let refusedFrom: number | undefined;
  let acceptedAfterRefusal = 0;
  while (api.up) {
    const accepted = await canConnect(api.port, '127.0.0.1', 100);
    if (!accepted) refusedFrom ??= Date.now() - signalled;
    else if (refusedFrom !== undefined && api.up) acceptedAfterRefusal++;
    await sleep(5);
  }
  const exit = await exiting;
  const answers = await Promise.all(attempts);
  const answered = answers.filter((a) => typeof a.v === 'number');
  const broken = answers.filter((a) => typeof a.v !== 'number');
  const lastAnswer = Math.max(0, ...answered.map((a) => a.at));
  system.notes.push(
    `${api.name}: SIGTERM with ${answers.length} requests in flight; exit code ${exit.code} after ${exit.ms} ms; ` +
      `answered ${answered.length} (${answered.map((a) => a.v).join(', ') || '-'}, the last ${lastAnswer} ms after the signal), ` +
      `broken ${broken.length}${broken.length ? ` (${broken.map((a) => a.v).join(', ')})` : ''}; ` +
      `new connections refused from ${refusedFrom === undefined ? '(never probed before it exited)' : `${refusedFrom} ms`}`,
  );
  if (!exit.graceful)
    system.failures.push(`${api.name} did not exit gracefully on SIGTERM (code ${exit.code}, ${exit.ms} ms)`);
  if (broken.length > 0)
    system.failures.push(`${api.name}: ${broken.length} requests in flight at SIGTERM got no answer`);
  if (acceptedAfterRefusal > 0) system.failures.push(`${api.name} accepted connections again after refusing them`);
}

/** SIGTERM to a worker with runs in flight: the SDK drains it and it exits 0; its runs complete (there or elsewhere). */
async function terminateWorker(system: System, worker: Service): Promise<void> {
  const caught = system.load.events.filter((e) => e.completedAt === undefined && e.problem === undefined);
  const signalled = Date.now();
  const exit = await worker.terminate();
  const exitedAt = Date.now();
  system.faults.push({ start: signalled, end: exitedAt });
  const finished = caught.filter((e) => e.completedAt !== undefined && e.completedAt <= exitedAt).length;
  system.notes.push(
    `${worker.name}: SIGTERM with ${caught.length} events in flight; exit code ${exit.code} after ${exit.ms} ms; ` +
      `${finished} of them completed before it exited, ${caught.length - finished} after (handed back)`,
  );
  if (!exit.graceful) {
    system.failures.push(
      `${worker.name} did not exit gracefully on SIGTERM (code ${exit.code}, ${seconds(exit.ms)} s)`,
    );
  }
}

/**
 * Scenario 5: SIGTERM to each worker and each API in turn under load (each started again afterwards):
 * every process exits by itself with code 0, an API stops accepting and answers what it had, a worker
 * drains through the SDK's shutdown, and no event is lost.
 */
export const sigterm = scenario({
  id: 5,
  name: 'sigterm',
  eventName: 'fault.sigterm',
  tags: ['handled'],
  async body(ctx, system) {
    const { load, procs } = system;
    const plan: [Service, (s: System, p: Service) => Promise<void>][] = [
      [procs.workers[0]!, terminateWorker],
      [procs.apis[0]!, terminateApi],
      [procs.workers[1]!, terminateWorker],
      [procs.apis[1]!, terminateApi],
    ];
    // Load until the last process was signalled and started again, and a few seconds more.
    let stopAt = Infinity;
    const faults = async (): Promise<void> => {
      for (const [service, terminate] of plan) {
        // Each signal after 40 more events, with the previous process serving again.
        const at = load.accepted() + 40;
        await until(() => load.accepted() >= at);
        ctx.log(`SIGTERM to ${service.name} (${inFlight(load)} events in flight)`);
        await terminate(system, service);
        ctx.log(system.notes.at(-1)!);
        await service.start();
      }
      stopAt = Date.now() + 5_000;
    };
    await underLoad(ctx, system, faults, {
      count: Number.MAX_SAFE_INTEGER,
      runTimeoutMs: 180_000,
      stop: () => Date.now() > stopAt,
    });
  },
});
