import type { Clock } from '@bosun/util';
import type { CommandRunner } from './command-runner.js';
import type { Logger } from './logger.js';
import type { SystemInfoFacade } from './system-info.js';
import type { GpuInfo } from './types.js';

/** Arguments given to `nvidia-smi`: one CSV line per GPU, `name, 40960 MiB, 535.54.03`. */
export const NVIDIA_SMI_ARGS: readonly string[] = Object.freeze([
  '--query-gpu=name,memory.total,driver_version',
  '--format=csv,noheader',
]);

const UNIT_BYTES: Record<string, number> = { KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, B: 1 };

// Emulated display adapters of hypervisors and BMCs: not GPUs a job could use.
const VIRTUAL_ADAPTER_RE = /cirrus|qxl|vmware svga|virtualbox|bochs|hyper-v|aspeed|matrox|virtio/i;

/** Parses `nvidia-smi` CSV output (see {@link NVIDIA_SMI_ARGS}); bad lines are skipped. */
export function parseNvidiaSmi(stdout: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of stdout.split('\n')) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 3 || !fields[0]) continue;
    const [model, memory, driver] = fields as [string, string, string];
    const gpu: GpuInfo = { vendor: 'NVIDIA', model };
    const mem = /^([\d.]+)\s*([KMG]iB|B)$/i.exec(memory ?? '');
    if (mem?.[1] && mem[2]) gpu.memoryBytes = Math.round(Number(mem[1]) * (UNIT_BYTES[mem[2].toUpperCase()] ?? 1));
    if (driver && !/^\[?n\/a\]?$/i.test(driver)) gpu.driver = driver;
    gpus.push(gpu);
  }
  return gpus;
}

/** Inputs of {@link probeGpus}. */
export interface GpuProbeInput {
  /** systeminformation (or a fake). */
  si: SystemInfoFacade;
  /** Absolute path of `nvidia-smi` when it is on the PATH. */
  nvidiaSmi?: string;
  /** Command runner. */
  run: CommandRunner;
  /** Environment of `nvidia-smi`. */
  env: Record<string, string | undefined>;
  /** Deadline in ms for each source. */
  timeoutMs: number;
  /** Logger. */
  logger: Logger;
  /** Timers of the `nvidia-smi` deadline (default `systemClock` from `@bosun/util`). */
  clock?: Clock;
}

/**
 * GPUs from systeminformation `graphics()`, with NVIDIA entries replaced by
 * `nvidia-smi`'s when it is present and answers (its memory and driver figures
 * are the ones CUDA sees). Emulated display adapters (Cirrus, QXL, VMware SVGA,
 * virtio, BMC chips, …) are dropped. `[]` on a machine without a GPU.
 */
export async function probeGpus(input: GpuProbeInput): Promise<GpuInfo[]> {
  const [controllers, nvidia] = await Promise.all([
    input.si.graphics().then(
      (g) => g.controllers,
      (error: unknown) => {
        input.logger.warn({ err: (error as Error)?.message }, 'graphics() failed');
        return [];
      },
    ),
    input.nvidiaSmi ? runNvidiaSmi(input, input.nvidiaSmi) : Promise.resolve([]),
  ]);
  const fromSi: GpuInfo[] = [];
  for (const c of controllers) {
    const model = (c.model || c.name || '').trim();
    const vendor = (c.vendor || '').trim();
    if (!model || VIRTUAL_ADAPTER_RE.test(`${vendor} ${model}`)) continue;
    if (nvidia.length > 0 && /nvidia/i.test(vendor)) continue;
    const gpu: GpuInfo = { vendor: vendor || 'unknown', model };
    const mib = c.memoryTotal ?? c.vram;
    if (typeof mib === 'number' && mib > 0) gpu.memoryBytes = Math.round(mib * 1024 ** 2);
    if (c.driverVersion) gpu.driver = c.driverVersion;
    fromSi.push(gpu);
  }
  return [...nvidia, ...fromSi];
}

async function runNvidiaSmi(input: GpuProbeInput, file: string): Promise<GpuInfo[]> {
  try {
    const result = await input.run(file, NVIDIA_SMI_ARGS, { timeoutMs: input.timeoutMs, env: input.env, ...(input.clock ? { clock: input.clock } : {}) });
    if (result.timedOut || result.error || result.exitCode !== 0) {
      input.logger.warn({ timedOut: result.timedOut, exitCode: result.exitCode }, 'nvidia-smi failed');
      return [];
    }
    return parseNvidiaSmi(result.stdout);
  } catch (error) {
    input.logger.warn({ err: (error as Error)?.message }, 'nvidia-smi failed');
    return [];
  }
}
