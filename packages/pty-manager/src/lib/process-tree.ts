import { readdir, readFile } from 'node:fs/promises';

interface ProcInfo {
  pid: number;
  ppid: number;
  sid: number;
}

async function readProcs(): Promise<ProcInfo[]> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return [];
  }
  const out: ProcInfo[] = [];
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        try {
          const stat = await readFile(`/proc/${n}/stat`, 'utf8');
          // The command name may hold spaces and parens: fields start after the last ')'.
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          out.push({ pid: Number(n), ppid: Number(f[1]), sid: Number(f[3]) });
        } catch {
          /* gone already */
        }
      }),
  );
  return out;
}

/**
 * Every live descendant of `root` plus every process in the session `root` leads
 * (a PTY's shell is a session leader; a backgrounded job may have been reparented),
 * root included. Linux /proc only; elsewhere just `[root]`.
 */
export async function processTree(root: number): Promise<number[]> {
  const procs = await readProcs();
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const seen = new Set<number>([root]);
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    for (const c of children.get(pid) ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        stack.push(c);
      }
    }
  }
  for (const p of procs) if (p.sid === root) seen.add(p.pid);
  return [...seen];
}

/** Sends `signal` to every pid, ignoring the ones already gone. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
