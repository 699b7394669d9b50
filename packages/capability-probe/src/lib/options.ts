import { spawnCommandRunner, type CommandRunner } from './command-runner.js';
import { engineSocketCandidates } from './container-engines.js';
import { nodeHost, type HostFacade } from './host.js';
import { silentLogger, type Logger } from './logger.js';
import { systeminformationFacade, type SystemInfoFacade } from './system-info.js';
import { DEFAULT_TOOL_SPECS, type ToolSpec } from './tool-specs.js';
import { WorkerModeSchema, type GatewayStatus, type WorkerMode } from '@bosun/protocol';
import { systemClock as timerClock, type Clock as TimerClock } from '@bosun/util';

/** What the caller's optional gateway callback reports for the heartbeat. */
export interface GatewayStatusReport {
  /** Protocol gateway state (copied to `gatewayStatus`); an unknown value is dropped and logged. */
  status: GatewayStatus;
  /** Human-readable detail (copied to `gatewayStatusDetail`, cut to 4096 characters). */
  detail?: string;
}

/**
 * Time source, one-shot timers (every probe deadline) and a repeating scheduler (the
 * refresh), injectable so tests control staleness and deadlines without waiting.
 * The one-shot part is `@bosun/util`'s `Clock`.
 */
export interface Clock extends TimerClock {
  /** Calls `fn` every `ms`; returns a function that stops it. Must not keep the process alive. */
  every(ms: number, fn: () => void): () => void;
}

/** The default {@link Clock}: `@bosun/util`'s `systemClock` (Date.now, unref'd timers) plus an unref'd `setInterval`. */
export const systemClock: Clock = Object.freeze({
  now: timerClock.now,
  setTimeout: timerClock.setTimeout,
  clearTimeout: timerClock.clearTimeout,
  every: (ms: number, fn: () => void) => {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
});

/** Options of `CapabilityProbe`. */
export interface CapabilityProbeOptions {
  /** Worker name for the register payload. Required. */
  name: string;
  /** Agent version for the register payload. Required. */
  agentVersion: string;
  /** Worker mode for the register payload. Required. */
  mode: WorkerMode;
  /**
   * Environment seen by the probes: `PATH`, `PATHEXT`, `DOCKER_HOST`,
   * `XDG_RUNTIME_DIR`, and the env of version commands. Required — libraries
   * never read `process.env`; apps pass theirs (or a curated copy).
   */
  env: Record<string, string | undefined>;
  /** PATH to scan for tools (default `env.PATH`, else empty: nothing found). */
  path?: string;
  /** Directory whose filesystem `diskTotal`/`diskFree` describe (default: none, fields omitted). */
  dataDir?: string;
  /** Number of running containers, for the heartbeat. Required (pass `async () => 0` when there is no engine). */
  containersRunning: () => Promise<number>;
  /** Gateway status for the heartbeat (default: none, fields omitted). */
  gatewayStatus?: () => Promise<GatewayStatusReport | undefined>;
  /** Runtimes and tools to probe (default {@link DEFAULT_TOOL_SPECS}). */
  tools?: readonly ToolSpec[];
  /** Deadline per slow probe in ms: each version command, engine socket, systeminformation call (default 3000). */
  probeTimeoutMs?: number;
  /** Version commands running at once (default 8). */
  probeConcurrency?: number;
  /** Age in ms after which cached capabilities are refreshed (default 300 000 = 5 min). */
  refreshIntervalMs?: number;
  /** Deadline in ms for each heartbeat source that can block: callbacks and statfs (default 500). */
  heartbeatTimeoutMs?: number;
  /** Engine sockets to try (default {@link engineSocketCandidates} of `env`). */
  engineSockets?: readonly string[];
  /** Runs version commands (default {@link spawnCommandRunner}). */
  run?: CommandRunner;
  /** systeminformation facade (default {@link systeminformationFacade}). */
  si?: SystemInfoFacade;
  /** Fast host facts (default {@link nodeHost}). */
  host?: HostFacade;
  /** Clock for cache age, the refresh timer and every probe deadline (default {@link systemClock}). */
  clock?: Clock;
  /** pino-compatible logger (default: silent). */
  logger?: Logger;
}

/** {@link CapabilityProbeOptions} with every default filled in, frozen. */
export type ResolvedProbeOptions = Readonly<
  Required<Omit<CapabilityProbeOptions, 'dataDir' | 'gatewayStatus'>> &
    Pick<CapabilityProbeOptions, 'dataDir' | 'gatewayStatus'>
>;

function positive(value: number | undefined, fallback: number, key: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`capability-probe: ${key} must be a positive number, got ${String(value)}`);
  return v;
}

/**
 * Validates options and fills in every default: the one place defaults live.
 * Throws `TypeError`/`RangeError` naming the bad key.
 */
export function resolveProbeOptions(options: CapabilityProbeOptions): ResolvedProbeOptions {
  if (!options.name) throw new TypeError('capability-probe: name is required');
  if (!options.agentVersion) throw new TypeError('capability-probe: agentVersion is required');
  if (!WorkerModeSchema.safeParse(options.mode).success) throw new TypeError(`capability-probe: mode must be byom or fleet, got ${String(options.mode)}`);
  if (typeof options.env !== 'object' || options.env === null) throw new TypeError('capability-probe: env is required');
  if (typeof options.containersRunning !== 'function') throw new TypeError('capability-probe: containersRunning is required');
  return Object.freeze({
    name: options.name,
    agentVersion: options.agentVersion,
    mode: options.mode,
    env: options.env,
    path: options.path ?? options.env['PATH'] ?? '',
    dataDir: options.dataDir,
    containersRunning: options.containersRunning,
    gatewayStatus: options.gatewayStatus,
    tools: options.tools ?? DEFAULT_TOOL_SPECS,
    probeTimeoutMs: positive(options.probeTimeoutMs, 3000, 'probeTimeoutMs'),
    probeConcurrency: Math.floor(positive(options.probeConcurrency, 8, 'probeConcurrency')),
    refreshIntervalMs: positive(options.refreshIntervalMs, 300_000, 'refreshIntervalMs'),
    heartbeatTimeoutMs: positive(options.heartbeatTimeoutMs, 500, 'heartbeatTimeoutMs'),
    engineSockets: options.engineSockets ?? engineSocketCandidates(options.env),
    run: options.run ?? spawnCommandRunner,
    si: options.si ?? systeminformationFacade(),
    host: options.host ?? nodeHost,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
  });
}
