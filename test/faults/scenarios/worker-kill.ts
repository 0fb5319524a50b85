import { inFlight, scenario, underLoad, until } from '../scenario';

/**
 * Scenario 1: a worker killed with SIGKILL three times (the two workers in turn, each started again at
 * once) while 320 events start 5-step runs. The runs it held are picked up by the other worker once
 * their workflow task times out; the steps it had written are not written again (stored plans).
 */
export const workerKill = scenario({
  id: 1,
  name: 'worker-kill',
  eventName: 'fault.kill',
  tags: ['handled'],
  body: (ctx, system) =>
    underLoad(
      ctx,
      system,
      async () => {
        for (const [n, at] of [80, 160, 240].entries()) {
          await until(() => system.load.accepted() >= at);
          const worker = system.procs.workers[n % 2]!;
          const caught = inFlight(system.load);
          const killedAt = Date.now();
          await worker.kill();
          system.faults.push({ start: killedAt, end: killedAt });
          await worker.start();
          system.notes.push(
            `kill ${n + 1}: ${worker.name} SIGKILLed with ${caught} events in flight, ` +
              `serving again after ${((Date.now() - killedAt) / 1000).toFixed(1)} s`,
          );
          ctx.log(system.notes.at(-1)!);
        }
      },
      { count: 320 },
    ),
});
