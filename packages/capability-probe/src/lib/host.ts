import { statfs } from 'node:fs/promises';
import os from 'node:os';

/** Per-CPU time counters, as `os.cpus()[i].times` (ms). */
export interface CpuTimes {
  user: number;
  nice: number;
  sys: number;
  idle: number;
  irq: number;
}

/** Size and free space of a filesystem, in bytes. */
export interface FsSpace {
  /** Filesystem size. */
  total: number;
  /** Space available to unprivileged users. */
  free: number;
}

/**
 * Fast host facts (no child processes, answered in microseconds): what the
 * heartbeat is allowed to read. Inject a fake in tests.
 */
export interface HostFacade {
  /** `os.hostname()`. */
  hostname(): string;
  /** `os.platform()`. */
  platform(): string;
  /** `os.arch()`. */
  arch(): string;
  /** Time counters of each logical CPU (`os.cpus()`). */
  cpuTimes(): CpuTimes[];
  /** `os.totalmem()`. */
  totalmem(): number;
  /** `os.freemem()` (MemAvailable on Linux). */
  freemem(): number;
  /** `os.loadavg()`. */
  loadavg(): number[];
  /** Size and free space of the filesystem holding `path` (`fs.statfs`). */
  statfs(path: string): Promise<FsSpace>;
}

/** The default {@link HostFacade}, over `node:os` and `node:fs`. */
export const nodeHost: HostFacade = Object.freeze({
  hostname: () => os.hostname(),
  platform: () => os.platform(),
  arch: () => os.arch(),
  cpuTimes: () => os.cpus().map((c) => c.times),
  totalmem: () => os.totalmem(),
  freemem: () => os.freemem(),
  loadavg: () => os.loadavg(),
  statfs: async (path: string) => {
    const s = await statfs(path);
    return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
  },
});

function totals(times: readonly CpuTimes[]): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const t of times) {
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/**
 * CPU usage from `os.cpus()` counter deltas between two calls: O(#cpus), no
 * sampling sleep (systeminformation's `currentLoad` takes ~0.5 s). The first
 * call measures since construction; when no time has passed, or counters went
 * backwards (CPU hot-unplug), it falls back to the 1-minute load average per CPU.
 */
export class CpuUsageMeter {
  private last: { busy: number; total: number };

  /** Takes the baseline sample from `host`. */
  constructor(private readonly host: HostFacade) {
    this.last = totals(host.cpuTimes());
  }

  /** Usage in percent (0–100, one decimal) since the previous call. */
  sample(): number {
    const times = this.host.cpuTimes();
    const now = totals(times);
    const dTotal = now.total - this.last.total;
    const dBusy = now.busy - this.last.busy;
    this.last = now;
    let percent: number;
    if (dTotal > 0 && dBusy >= 0) {
      percent = (dBusy / dTotal) * 100;
    } else {
      const cpus = Math.max(1, times.length);
      percent = ((this.host.loadavg()[0] ?? 0) / cpus) * 100;
    }
    return Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10;
  }
}
