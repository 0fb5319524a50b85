/**
 * Our own processes in the production shape: `node --import tsx src/server.ts` (the API) and
 * `node --import tsx src/worker.ts` (a worker), each started as the container image starts it (signals
 * reach Node itself), in a process group of its own, as a container is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { canConnect, REPO_ROOT, sleep } from '../../scripts/dev/process-utils';

export type Role = 'api' | 'worker';

export interface ServiceExit {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the signal to the exit. */
  ms: number;
  /** SIGTERM: ended by itself, with code 0, within the grace period. */
  graceful: boolean;
}

/**
 * The command of `npm run api` / `npm run worker` (package.json), which the image runs too: the suite
 * starts exactly what production starts.
 */
export function serviceCommand(role: Role): { cmd: string; args: string[] } {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [cmd, ...args] = (pkg.scripts[role] ?? '').split(/\s+/);
  if (!cmd) throw new Error(`package.json has no "${role}" script`);
  return { cmd: cmd === 'node' ? process.execPath : path.join(REPO_ROOT, 'node_modules', '.bin', cmd), args };
}
/** Every service started by this process, so that none outlives it. */
const running = new Set<Service>();

/** Kills every service still running (the harness is exiting, however it exits). */
export function killAllServices(): void {
  for (const service of running) service.killNow();
}
process.on('exit', killAllServices);

export class Service {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** How many times it was started. */
  starts = 0;
  /** Exits nobody asked for (a crash), described. */
  readonly crashes: string[] = [];
  private stopping = false;

  constructor(
    readonly name: string,
    readonly role: Role,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    /** For a worker: whether the Node process with this pid polls the task queue yet. */
    private readonly polling: (pid: number) => Promise<boolean>,
    readonly port = 0,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get up(): boolean {
    return this.child !== undefined && this.exit === undefined;
  }

  /** The process id while it runs. */
  pid(): number | undefined {
    return this.exit ? undefined : this.child?.pid;
  }

  /** Starts the process and waits until it serves: the API accepts connections, the worker polls. */
  async start(timeoutMs = 120_000): Promise<void> {
    if (this.up) throw new Error(`${this.name} is already running`);
    this.starts++;
    const log = fs.openSync(path.join(this.logDir, `${this.name}.${this.starts}.log`), 'a');
    const env = { ...process.env, ...this.env, ...(this.role === 'api' ? { PORT: String(this.port) } : {}) };
    const { cmd, args } = serviceCommand(this.role);
    const child = spawn(cmd, args, {
      cwd: REPO_ROOT,
      env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.child = child;
    this.exit = undefined;
    this.stopping = false;
    running.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        if (!this.stopping)
          this.crashes.push(`${this.name} exited by itself (${this.describeExit()}): ${this.logTail(5)}`);
        resolve();
      });
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) throw new Error(`${this.name} exited during start-up (${this.describeExit()}): ${this.logTail()}`);
      if (await this.serving()) return;
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms: ${this.logTail()}`);
      await sleep(250);
    }
  }

  private async serving(): Promise<boolean> {
    if (this.role === 'api') return canConnect(this.port);
    const pid = this.pid();
    return pid !== undefined && (await this.polling(pid).catch(() => false));
  }

  /** SIGKILL to its process group; resolves once it is gone. */
  async kill(): Promise<ServiceExit> {
    const since = Date.now();
    this.killNow();
    await this.exited;
    return { ...this.exit!, ms: Date.now() - since, graceful: false };
  }

  killNow(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.exit) return;
    this.stopping = true;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }

  /**
   * SIGTERM (as `docker stop` sends it to the container's first process), then waits. Past `graceMs` the
   * group is killed and the exit is not graceful.
   */
  async terminate(graceMs = 30_000): Promise<ServiceExit> {
    const since = Date.now();
    if (!this.up) return { ...(this.exit ?? { code: null, signal: null }), ms: 0, graceful: false };
    this.stopping = true;
    this.child!.kill('SIGTERM');
    const inTime = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    const ms = Date.now() - since;
    if (!inTime) await this.kill();
    return { ...this.exit!, ms, graceful: inTime && this.exit?.code === 0 };
  }

  /** Waits for the process to end by itself (it may never, then this never resolves). */
  whenExited(): Promise<void> {
    return this.exited;
  }

  describeExit(): string {
    if (!this.exit) return 'running';
    return this.exit.signal ? `signal ${this.exit.signal}` : `code ${String(this.exit.code)}`;
  }

  /** The last lines this incarnation printed. */
  logTail(lines = 15): string {
    try {
      const text = fs.readFileSync(path.join(this.logDir, `${this.name}.${this.starts}.log`), 'utf8');
      return text.trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
