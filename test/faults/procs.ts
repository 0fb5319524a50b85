/**
 * What /proc says about our process tree: who is whose child, and how much memory each holds. Linux only,
 * like the rest of the fault suite (it sends real signals to real processes).
 */
import fs from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** The executable's short name (`node`, `temporal`, `ferretdb`, `postgres`). */
  comm: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    return { pid, ppid, comm };
  } catch {
    return undefined;
  }
}

/** Every process below `root` (not `root` itself). */
export function descendants(root: number): ProcInfo[] {
  const all = fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((p): p is ProcInfo => p !== undefined);
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found: ProcInfo[] = [];
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child.pid);
    }
  };
  walk(root);
  return found;
}

function readKb(file: string, field: RegExp): number | undefined {
  try {
    const kb = field.exec(fs.readFileSync(file, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in MB, or undefined once it is gone. */
export const rssMb = (pid: number): number | undefined => readKb(`/proc/${pid}/status`, /^VmRSS:\s+(\d+) kB/m);

/**
 * Proportional resident memory in MB (shared pages divided among the processes sharing them), which adds
 * up across processes: PostgreSQL's shared buffers appear in the RSS of every backend that touched them.
 */
export const pssMb = (pid: number): number | undefined => readKb(`/proc/${pid}/smaps_rollup`, /^Pss:\s+(\d+) kB/m);
