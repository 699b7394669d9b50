import { GatewayStatusSchema } from '@bosun/protocol';
import { mergeContainerEngines, probeEngineSockets } from './container-engines.js';
import { withDeadline } from './deadline.js';
import { probeGpus } from './gpus.js';
import { CpuUsageMeter } from './host.js';
import { resolveProbeOptions, type CapabilityProbeOptions, type ResolvedProbeOptions } from './options.js';
import { probeTools } from './probe-tools.js';
import type { CapabilitySnapshot, HeartbeatPayload, RegisterPayload, SystemFacts, ToolInfo } from './types.js';
import { findExecutable } from './which.js';

// DetailSchema's limit in @bosun/protocol.
const MAX_DETAIL = 4096;

/**
 * Probes the host for the worker's `register` and `heartbeat` messages.
 *
 * Slow facts (version commands, engine sockets, systeminformation, GPUs) are
 * gathered concurrently, each under its own deadline, and cached; the cache is
 * refreshed in the background once it is older than `refreshIntervalMs`
 * (default 5 min), either by the timer of {@link CapabilityProbe.start} or on
 * the next {@link CapabilityProbe.registerPayload}. {@link CapabilityProbe.heartbeat}
 * never waits for them: it reads only fast sources and answers in a few ms.
 */
export class CapabilityProbe {
  /** The options with defaults filled in. */
  readonly options: ResolvedProbeOptions;
  private readonly cpu: CpuUsageMeter;
  private cached: CapabilitySnapshot | undefined;
  private inFlight: Promise<CapabilitySnapshot> | undefined;
  private stopTimer: (() => void) | undefined;
  private lastContainersRunning = 0;

  /** Validates `options` (throws on a bad one) and takes the CPU baseline sample. */
  constructor(options: CapabilityProbeOptions) {
    this.options = resolveProbeOptions(options);
    this.cpu = new CpuUsageMeter(this.options.host);
  }

  /** The cached snapshot, if a refresh has finished. */
  get snapshot(): CapabilitySnapshot | undefined {
    return this.cached;
  }

  /**
   * Starts a refresh now (in the background) and then every `refreshIntervalMs`.
   * Idempotent. The timer does not keep the process alive.
   */
  start(): void {
    if (this.stopTimer) return;
    void this.refresh();
    this.stopTimer = this.options.clock.every(this.options.refreshIntervalMs, () => void this.refresh());
  }

  /** Stops the refresh timer and waits for a refresh in flight, so no probe outlives the caller. */
  async close(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    await this.inFlight;
  }

  /**
   * Runs every slow probe now and caches the result. Concurrent calls share one
   * run. Never rejects: a probe that fails or times out leaves its part empty
   * (or falls back to `node:os`) and is logged.
   */
  refresh(): Promise<CapabilitySnapshot> {
    this.inFlight ??= this.collect().then((snapshot) => {
      this.cached = snapshot;
      this.inFlight = undefined;
      return snapshot;
    });
    return this.inFlight;
  }

  /**
   * The cached snapshot when there is one (starting a background refresh if it is
   * stale), else waits for the first refresh.
   */
  async capabilities(): Promise<CapabilitySnapshot> {
    const cached = this.cached;
    if (!cached) return this.refresh();
    if (this.options.clock.now() - cached.takenAt >= this.options.refreshIntervalMs) void this.refresh();
    return cached;
  }

  /** Fields of `worker.register` (without `v`/`type`), from {@link CapabilityProbe.capabilities}. */
  async registerPayload(): Promise<RegisterPayload> {
    const snap = await this.capabilities();
    const o = this.options;
    return {
      name: o.name,
      hostname: snap.system.hostname,
      platform: snap.system.platform,
      cpuCount: snap.system.cpuCount,
      memoryTotal: snap.system.memoryTotal,
      containerEngines: snap.containerEngines.map((e) => ({ ...e })),
      agentVersion: o.agentVersion,
      mode: o.mode,
      capabilities: {
        runtimes: snap.capabilities.runtimes.map((t) => ({ ...t })),
        tools: snap.capabilities.tools.map((t) => ({ ...t })),
        gpus: snap.capabilities.gpus.map((g) => ({ ...g })),
      },
    };
  }

  /**
   * Fields of `worker.heartbeat` (without `v`/`type`), from fast sources only:
   * CPU counter deltas since the previous call, free memory, `statfs` of
   * `dataDir`, and the caller's callbacks. Each blocking source has
   * `heartbeatTimeoutMs` (default 500 ms); past it the disk and gateway fields are
   * omitted and `containersRunning` repeats its last known value.
   */
  async heartbeat(): Promise<HeartbeatPayload> {
    const o = this.options;
    const cpuUsage = this.cpu.sample();
    const memoryFree = o.host.freemem();
    const dataDir = o.dataDir;
    const [disk, containers, gateway] = await Promise.all([
      dataDir ? withDeadline(() => o.host.statfs(dataDir), o.heartbeatTimeoutMs, o.clock) : undefined,
      withDeadline(() => o.containersRunning(), o.heartbeatTimeoutMs, o.clock),
      o.gatewayStatus ? withDeadline(o.gatewayStatus, o.heartbeatTimeoutMs, o.clock) : undefined,
    ]);

    const payload: HeartbeatPayload = { cpuUsage, memoryFree, containersRunning: this.lastContainersRunning };
    if (disk?.ok) {
      payload.diskTotal = disk.value.total;
      payload.diskFree = disk.value.free;
    } else if (disk) {
      o.logger.warn({ dataDir, reason: disk.reason }, 'statfs of data dir failed');
    }
    if (containers.ok && Number.isInteger(containers.value) && containers.value >= 0) {
      this.lastContainersRunning = containers.value;
      payload.containersRunning = containers.value;
    } else {
      o.logger.warn({ reason: containers.ok ? 'invalid' : containers.reason }, 'containersRunning callback failed');
    }
    if (gateway?.ok && gateway.value) {
      const status = GatewayStatusSchema.safeParse(gateway.value.status);
      if (status.success) {
        payload.gatewayStatus = status.data;
        const detail = gateway.value.detail;
        if (typeof detail === 'string') payload.gatewayStatusDetail = detail.slice(0, MAX_DETAIL);
      } else {
        o.logger.warn({ status: gateway.value.status }, 'gatewayStatus callback returned an unknown status');
      }
    } else if (gateway && !gateway.ok) {
      o.logger.warn({ reason: gateway.reason }, 'gatewayStatus callback failed');
    }
    return payload;
  }

  private async collect(): Promise<CapabilitySnapshot> {
    const o = this.options;
    const started = o.clock.now();
    const toolCtx = { run: o.run, path: o.path, pathExt: o.env['PATHEXT'], env: o.env, timeoutMs: o.probeTimeoutMs, logger: o.logger, clock: o.clock };
    const [tools, answered, system, gpus] = await Promise.all([
      probeTools(o.tools, toolCtx, o.probeConcurrency),
      probeEngineSockets(o.engineSockets, o.probeTimeoutMs, o.logger, o.clock),
      this.systemFacts(),
      findExecutable('nvidia-smi', { path: o.path, pathExt: o.env['PATHEXT'] }).then((nvidiaSmi) =>
        probeGpus({ si: o.si, nvidiaSmi, run: o.run, env: o.env, timeoutMs: o.probeTimeoutMs, logger: o.logger, clock: o.clock }),
      ),
    ]);
    const strip = ({ name, version, path }: ToolInfo): ToolInfo => ({ name, version, path });
    const snapshot: CapabilitySnapshot = {
      takenAt: o.clock.now(),
      system,
      containerEngines: mergeContainerEngines(answered, tools),
      capabilities: {
        runtimes: tools.filter((t) => t.kind === 'runtime').map(strip),
        tools: tools.filter((t) => t.kind === 'tool').map(strip),
        gpus,
      },
    };
    o.logger.debug(
      { ms: snapshot.takenAt - started, tools: tools.length, engines: snapshot.containerEngines.length, gpus: gpus.length },
      'capabilities refreshed',
    );
    return snapshot;
  }

  private async systemFacts(): Promise<SystemFacts> {
    const { si, host, probeTimeoutMs: ms, logger, clock } = this.options;
    const [osInfo, cpu, mem] = await Promise.all([
      withDeadline(() => si.osInfo(), ms, clock),
      withDeadline(() => si.cpu(), ms, clock),
      withDeadline(() => si.mem(), ms, clock),
    ]);
    for (const [call, r] of [['osInfo', osInfo], ['cpu', cpu], ['mem', mem]] as const) {
      if (!r.ok) logger.warn({ call, reason: r.reason }, 'systeminformation call failed; using node:os');
    }
    const facts: SystemFacts = {
      hostname: host.hostname() || 'localhost',
      platform: host.platform(),
      arch: host.arch(),
      cpuCount: cpu.ok && cpu.value.cores > 0 ? cpu.value.cores : Math.max(1, host.cpuTimes().length),
      memoryTotal: mem.ok && mem.value.total > 0 ? mem.value.total : host.totalmem(),
    };
    if (osInfo.ok) {
      if (osInfo.value.distro) facts.distro = osInfo.value.distro;
      if (osInfo.value.release) facts.release = osInfo.value.release;
      if (osInfo.value.kernel) facts.kernel = osInfo.value.kernel;
    }
    if (cpu.ok) {
      const model = `${cpu.value.manufacturer} ${cpu.value.brand}`.trim();
      if (model) facts.cpuModel = model;
    }
    return facts;
  }
}
