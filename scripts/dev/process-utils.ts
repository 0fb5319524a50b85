import { spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadDevConfig } from '../../src/config';

/** Repository root (this file lives in <repo>/scripts/dev). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export function log(message: string): void {
  process.stderr.write(`[switchboard] ${message}\n`);
}

/** Absolute path of an executable named `name` on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of loadDevConfig().path.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. `stream: true` copies its output to our stderr as it comes (progress). */
export function run(cmd: string, args: string[], opts: SpawnOptions & { stream?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (opts.stream) process.stderr.write(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (opts.stream) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like run() but rejects unless the exit code is 0. */
export async function runOk(
  cmd: string,
  args: string[],
  opts: SpawnOptions & { stream?: boolean } = {},
): Promise<string> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    const tail = (res.stderr || res.stdout).trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${String(res.code)}:\n${tail}`);
  }
  return res.stdout;
}

/** A TCP port that was free a moment ago on 127.0.0.1 (listen(0) then close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** `preferred` if it can be bound on 127.0.0.1 right now, else a random free port. */
export async function preferredOrFreePort(preferred: number | undefined): Promise<number> {
  if (preferred === undefined) return freePort();
  const ok = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  return ok ? preferred : freePort();
}

export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cross-process lock (mkdir is atomic): two test runs or clones building the same artifact at once wait for
 * each other instead of racing. A lock whose owner PID is gone, or older than `staleMs`, is taken over.
 */
export async function withLock<T>(
  lockDir: string,
  what: string,
  fn: () => Promise<T>,
  staleMs = 30 * 60_000,
): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let ownerPid = 0;
      let age = 0;
      try {
        ownerPid = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
        age = Date.now() - fs.statSync(lockDir).mtimeMs;
      } catch {
        // Being created or removed right now: retry.
      }
      if ((ownerPid && !pidAlive(ownerPid)) || age > staleMs) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        log(`waiting for another process (pid ${ownerPid || '?'}) that is preparing ${what}...`);
        announced = true;
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Marks `dir` as used by this process (dir/owner.pid). Throws if another live process owns it: two servers on
 * one SQLite file would corrupt it. Idempotent within a process; a dead owner's file is taken over.
 */
export function claimDir(dir: string, hint: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'owner.pid');
  let owner = 0;
  try {
    owner = Number(fs.readFileSync(file, 'utf8'));
  } catch {
    // No owner yet.
  }
  if (owner && owner !== process.pid && pidAlive(owner)) {
    throw new Error(`${dir} is in use by process ${owner}. ${hint}`);
  }
  fs.writeFileSync(file, String(process.pid));
}

/**
 * Whether `port` is taken, tested the way the API binds it (no host: every interface, IPv4 and IPv6), so a
 * process holding only 127.0.0.1:<port> counts as well. Other bind errors (EACCES...) are rethrown.
 */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(true) : reject(err)));
    server.listen(port, () => server.close(() => resolve(false)));
  });
}
