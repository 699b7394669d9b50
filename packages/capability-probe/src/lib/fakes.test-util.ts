import { readFileSync } from 'node:fs';
import { manualClock, type ManualClock } from '@bosun/util';
import type { CommandResult, CommandRunner, RunOptions } from './command-runner.js';
import type { CpuTimes, FsSpace, HostFacade } from './host.js';
import type { Logger } from './logger.js';
import type { Clock } from './options.js';
import type { SystemInfoFacade } from './system-info.js';

/** Builds a CommandResult with defaults. */
export function result(partial: Partial<CommandResult> = {}): CommandResult {
  return { stdout: '', stderr: '', exitCode: 0, timedOut: false, ...partial };
}

/** A runner answering by executable basename; records calls. `'hang'` never resolves. */
export function fakeRunner(
  answers: Record<string, CommandResult | 'hang' | ((opts: RunOptions) => Promise<CommandResult>)>,
): CommandRunner & { calls: Array<{ file: string; args: readonly string[] }> } {
  const calls: Array<{ file: string; args: readonly string[] }> = [];
  const run = (async (file: string, args: readonly string[], opts: RunOptions) => {
    calls.push({ file, args });
    const answer = answers[file.split('/').pop() ?? file];
    if (answer === undefined) return result({ exitCode: 127, error: new Error('ENOENT') });
    if (answer === 'hang') return new Promise<CommandResult>(() => undefined);
    if (typeof answer === 'function') return answer(opts);
    return answer;
  }) as CommandRunner & { calls: typeof calls };
  run.calls = calls;
  return run;
}

/** A host whose counters the test moves by hand. */
export function fakeHost(overrides: Partial<HostFacade> = {}): HostFacade & { times: CpuTimes[] } {
  const host = {
    times: [
      { user: 100, nice: 0, sys: 100, idle: 800, irq: 0 },
      { user: 100, nice: 0, sys: 100, idle: 800, irq: 0 },
    ],
    hostname: () => 'fake-host',
    platform: () => 'linux',
    arch: () => 'x64',
    cpuTimes(): CpuTimes[] {
      return host.times.map((t) => ({ ...t }));
    },
    totalmem: () => 8 * 1024 ** 3,
    freemem: () => 3 * 1024 ** 3,
    loadavg: () => [0.5, 0.4, 0.3],
    statfs: async (): Promise<FsSpace> => ({ total: 100e9, free: 40e9 }),
    ...overrides,
  };
  return host;
}

/** systeminformation with fixed answers. */
export function fakeSi(overrides: Partial<SystemInfoFacade> = {}): SystemInfoFacade {
  return {
    osInfo: async () => ({ platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0', arch: 'x64', hostname: 'fake-host' }),
    cpu: async () => ({ manufacturer: 'AMD', brand: 'EPYC', cores: 4 }),
    mem: async () => ({ total: 16 * 1024 ** 3 }),
    graphics: async () => ({ controllers: [] }),
    ...overrides,
  };
}

/**
 * A clock that moves only when the test says so: `advance` fires the one-shot timers
 * that fall due (`manualClock` of `@bosun/util`); `every` callbacks are kept in
 * `timers` and run when the test calls them.
 */
export function fakeClock(start = 1_000_000): Clock & ManualClock & { timers: Set<() => void> } {
  const manual = manualClock(start);
  const timers = new Set<() => void>();
  return {
    ...manual,
    timers,
    every(_ms: number, fn: () => void) {
      timers.add(fn);
      return () => void timers.delete(fn);
    },
  };
}

/** A `manualClock` that also records every timer's delay and counts the timers still pending. */
export function trackingClock(start = 0): ManualClock & { delays: number[]; pending(): number } {
  const clock = manualClock(start);
  const delays: number[] = [];
  const live = new Set<unknown>();
  return {
    ...clock,
    delays,
    pending: () => live.size,
    setTimeout: (fn, ms) => {
      delays.push(ms);
      const handle = clock.setTimeout(() => {
        live.delete(handle);
        fn();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout: (handle) => {
      live.delete(handle);
      clock.clearTimeout(handle);
    },
  };
}

/** Tracks whether `promise` has settled, without awaiting it. */
export function settledFlag(promise: Promise<unknown>): { readonly settled: boolean } {
  const flag = { settled: false };
  promise.then(
    () => (flag.settled = true),
    () => (flag.settled = true),
  );
  return flag;
}

/** One turn of the event loop: every microtask and I/O callback already queued has run. Not a wait for time. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A logger that keeps what it is given. */
export function recordingLogger(): Logger & { lines: Array<{ level: string; obj: unknown; msg?: string }> } {
  const lines: Array<{ level: string; obj: unknown; msg?: string }> = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Whether `pid` runs; a killed orphan lingering as a zombie until its new parent reaps it counts as dead. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}
