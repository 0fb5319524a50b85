import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import path from 'node:path';
import { log, REPO_ROOT } from './process-utils';

const SUPERVISOR = path.join(REPO_ROOT, 'scripts', 'supervise.cjs');

export interface SupervisedProcess {
  readonly name: string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<string>;
  hasExited(): boolean;
  /** Last lines the process printed (stdout + stderr), for error messages. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `cmd` under scripts/supervise.cjs, which ends it as soon as this Node process dies, however it dies.
 * It runs in its own process group, so signals sent to ours (Ctrl-C) do not reach it: call stop().
 * Output is kept (last 200 lines) and, with `echo`, copied to our stderr prefixed by `name`.
 */
export function startSupervised(name: string, cmd: string, args: string[], echo = false): SupervisedProcess {
  const child = spawn(process.execPath, [SUPERVISOR, cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: REPO_ROOT,
    // Own process group: a terminal's Ctrl-C reaches only us, so we stop the servers last (after the worker has
    // drained against them) instead of them dying first. If we die instead, the supervisor sees stdin close.
    detached: true,
  });
  const lines: string[] = [];
  let done = false;
  let stopping = false;
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (echo && !stopping) process.stderr.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // Never write to stdin: it only exists so that the supervisor sees EOF when we die.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      resolve(signal ?? `code ${String(code)}`);
    });
    child.on('error', (err) => {
      done = true;
      resolve(`spawn error: ${err.message}`);
    });
  });
  // Do not keep the event loop alive just for this child (servers.main keeps itself alive).
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Socket).unref();

  return {
    name,
    exited,
    hasExited: () => done,
    recentOutput: () => lines.slice(-30).join('\n'),
    async stop(graceMs = 10_000): Promise<void> {
      if (done) return;
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!done) {
          log(`${name} did not stop within ${graceMs} ms: killing it`);
          child.kill('SIGKILL');
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
