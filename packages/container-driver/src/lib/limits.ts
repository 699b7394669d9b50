/**
 * Limit validation shared by both drivers.
 */
import { cpus as osCpus, totalmem } from 'node:os';
import { DriverError } from './errors.js';
import type { Limits, LimitSupport } from './types.js';

/** The host's capacity, against which limits are checked. */
export interface HostCapacity {
  /** Default `os.cpus().length`. */
  cpus?: number;
  /** Default `os.totalmem()`. */
  memoryBytes?: number;
}

/** Smallest memory limit accepted (engines refuse less than a few MiB). */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** Fills {@link HostCapacity} defaults from `os`. */
export function hostCapacity(host: HostCapacity = {}): Required<HostCapacity> {
  return { cpus: host.cpus ?? osCpus().length, memoryBytes: host.memoryBytes ?? totalmem() };
}

function positiveInt(name: string, v: number | undefined): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw DriverError.limitInvalid(`${name} must be an integer ≥ 1, got ${String(v)}`);
  }
}

/**
 * Throws `limit_invalid` for a negative, non-finite, non-integer (where required) or
 * over-capacity limit, and `unsupported` for a limit the driver cannot enforce.
 * Returns the limits unchanged when they pass.
 */
export function validateLimits(limits: Limits | undefined, host: HostCapacity = {}, support?: LimitSupport): Limits {
  if (limits === undefined) return {};
  if (typeof limits !== 'object' || limits === null) throw DriverError.limitInvalid('limits must be an object');
  const cap = hostCapacity(host);
  const { cpus, memoryBytes, pids, cpuSeconds, fileSizeBytes } = limits;
  if (cpus !== undefined) {
    if (typeof cpus !== 'number' || !Number.isFinite(cpus) || cpus <= 0) {
      throw DriverError.limitInvalid(`cpus must be a number > 0, got ${String(cpus)}`);
    }
    if (cpus > cap.cpus) throw DriverError.limitInvalid(`cpus ${cpus} exceeds the host's ${cap.cpus}`);
  }
  if (memoryBytes !== undefined) {
    if (typeof memoryBytes !== 'number' || !Number.isInteger(memoryBytes) || memoryBytes < MIN_MEMORY_BYTES) {
      throw DriverError.limitInvalid(`memoryBytes must be an integer ≥ ${MIN_MEMORY_BYTES}, got ${String(memoryBytes)}`);
    }
    if (memoryBytes > cap.memoryBytes) {
      throw DriverError.limitInvalid(`memoryBytes ${memoryBytes} exceeds the host's ${cap.memoryBytes}`);
    }
  }
  positiveInt('pids', pids);
  positiveInt('cpuSeconds', cpuSeconds);
  positiveInt('fileSizeBytes', fileSizeBytes);
  if (support) {
    const asked: [keyof LimitSupport, unknown][] = [
      ['cpus', cpus],
      ['memory', memoryBytes],
      ['pids', pids],
      ['cpuTime', cpuSeconds],
      ['fileSize', fileSizeBytes],
    ];
    for (const [k, v] of asked) {
      if (v !== undefined && !support[k]) throw DriverError.unsupported(`this driver cannot enforce the ${k} limit`);
    }
  }
  return limits;
}
