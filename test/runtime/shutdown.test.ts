import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, REPO_ROOT, sleep } from '../../scripts/dev/process-utils';
import { descendants } from '../faults/procs';
import { Service, serviceCommand } from '../faults/services';
import { mongoUriFor } from '../helpers/servers';

/**
 * SIGTERM to a real API process, started as `npm run api` and the image start it, while keep-alive clients
 * keep sending requests on their open connections: it must answer, stop taking more and exit 0 promptly.
 * (Node's server.close() alone stops new connections only; such a process never exited.)
 */
let logDir: string;
let api: Service;

beforeAll(async () => {
  logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-shutdown-'));
  const env = {
    NODE_ENV: 'test',
    MONGODB_URI: mongoUriFor(`sb_shutdown_${randomBytes(4).toString('hex')}`),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    LOG_LEVEL: 'silent',
  };
  api = new Service('shutdown-api', 'api', env, logDir, async () => false, await freePort());
  await api.start();
});
afterAll(async () => {
  await api?.kill();
  fs.rmSync(logDir, { recursive: true, force: true });
});

describe('API shutdown on SIGTERM', () => {
  it('runs as one Node process, so that signals reach it and not a launcher', () => {
    // The `tsx` launcher relays SIGTERM, then SIGKILLs its child unless the child acknowledges within 30 ms:
    // a busy API or worker was killed mid-request instead of draining (fault suite, scenario 5).
    // esbuild (tsx's compiler service) may run beside it; no second Node process may sit between.
    expect(descendants(api.pid()!).filter((p) => p.comm !== 'esbuild')).toEqual([]);
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const compose = fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    for (const role of ['api', 'worker'] as const) {
      const { args } = serviceCommand(role);
      const command = JSON.stringify(['node', ...args]).replace(/,/g, ', ');
      expect(args).toEqual(['--import', 'tsx', role === 'api' ? 'src/server.ts' : 'src/worker.ts']);
      expect(compose.replace(/'/g, '"')).toContain(`command: ${command}`);
      if (role === 'api') expect(dockerfile).toContain(`CMD ${command}`);
    }
  });

  it('exits 0 within seconds while keep-alive clients keep sending requests', async () => {
    let sending = true;
    const statuses: number[] = [];
    const client = async (): Promise<void> => {
      while (sending) {
        try {
          const res = await fetch(`${api.url}/healthz`);
          await res.text();
          statuses.push(res.status);
        } catch {
          // Refused once it stopped listening: what a client then retries elsewhere.
          await sleep(20);
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await sleep(500);
    const answeredBefore = statuses.length;
    const exit = await api.terminate(15_000);
    sending = false;
    await Promise.all(clients);
    expect(answeredBefore).toBeGreaterThan(0);
    // No worker polls this API's task queue: 503, answered after asking MongoDB and Temporal (milliseconds).
    expect(statuses.every((s) => s === 503)).toBe(true);
    expect(exit).toMatchObject({ code: 0, graceful: true });
    expect(exit.ms).toBeLessThan(5_000);
  });
});
