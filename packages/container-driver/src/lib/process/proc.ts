/**
 * Linux process helpers for the process driver: liveness with pid-reuse protection,
 * process-tree discovery, and group kill. They read /proc; nothing here runs a shell.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Start time of a process (clock ticks since boot, field 22 of /proc/<pid>/stat); undefined when gone. */
export async function processStartTime(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return undefined; // a zombie has exited
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

/** True when `pid` runs and (when given) started at `startTime`, so a reused pid is not mistaken for ours. */
export async function isAlive(pid: number, startTime?: number): Promise<boolean> {
  const st = await processStartTime(pid);
  return st !== undefined && (startTime === undefined || st === startTime);
}

/**
 * Every pid whose environment carries `marker` (`KEY=value`). The process driver puts
 * a session marker in every environment it spawns, which finds processes that left
 * their process group (setsid) or were reparented (double fork).
 */
export async function pidsWithEnv(marker: string): Promise<number[]> {
  const out: number[] = [];
  const needle = Buffer.from(`${marker}\0`);
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return out;
  }
  await Promise.all(
    entries.map(async (e) => {
      if (!/^\d+$/.test(e)) return;
      try {
        const env = await readFile(`/proc/${e}/environ`);
        if (env.indexOf(needle) === 0 || env.includes(Buffer.concat([Buffer.from([0]), needle]))) out.push(Number(e));
      } catch {
        // gone or not ours
      }
    }),
  );
  return out;
}

/** Sends `signal` to process group `pgid` and to each pid; ignores ones already gone. */
export function signalAll(pgids: number[], pids: number[], signal: NodeJS.Signals): void {
  for (const g of pgids) {
    try {
      process.kill(-g, signal);
    } catch {
      // group gone
    }
  }
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // gone
    }
  }
}
