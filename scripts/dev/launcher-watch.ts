import { execFileSync } from 'node:child_process';
import { loadDevConfig } from '../../src/config';
import { pidAlive } from './process-utils';

function parentOf(pid: number): { ppid: number; args: string } | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const match = /^(\d+)\s+(.*)$/.exec(out);
    return match ? { ppid: Number(match[1]), args: match[2] ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Under `npm run <script>` we are the grandchild of a `sh -c` that npm starts: `kill <npm pid>` makes npm pass
 * SIGTERM to that shell, which dies without passing it on, and tsx and this process would live on as orphans
 * holding the ports. So watch the launchers (tsx, sh, npm) and call `onGone` when one of them disappears.
 * Does nothing when not started by npm; the timer never keeps the process alive.
 */
export function watchLaunchers(onGone: (pid: number) => void, intervalMs = 1_000): void {
  if (!loadDevConfig().npmLifecycleEvent) return;
  const launchers: number[] = [];
  let pid = process.ppid;
  // At most tsx -> sh -> npm; stop at npm itself (whatever started npm is the user's business).
  for (let depth = 0; depth < 3 && pid > 1; depth++) {
    const info = parentOf(pid);
    if (!info) break;
    launchers.push(pid);
    if (/(^|\/)npm(-cli\.js)?(\s|$)/.test(info.args) || info.args.startsWith('npm ')) break;
    pid = info.ppid;
  }
  if (launchers.length === 0) return;
  const timer = setInterval(() => {
    const gone = launchers.find((p) => !pidAlive(p));
    if (gone !== undefined) {
      clearInterval(timer);
      onGone(gone);
    }
  }, intervalMs);
  timer.unref();
}
