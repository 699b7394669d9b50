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

/** A clock the test advances; `every` callbacks run on `tick()`. */
export function fakeClock(start = 1_000_000): Clock & { t: number; advance(ms: number): void; timers: Set<() => void> } {
  const timers = new Set<() => void>();
  const clock = {
    t: start,
    timers,
    now: () => clock.t,
    every(_ms: number, fn: () => void) {
      timers.add(fn);
      return () => timers.delete(fn);
    },
    advance(ms: number) {
      clock.t += ms;
    },
  };
  return clock;
}

/** A logger that keeps what it is given. */
export function recordingLogger(): Logger & { lines: Array<{ level: string; obj: unknown; msg?: string }> } {
  const lines: Array<{ level: string; obj: unknown; msg?: string }> = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
