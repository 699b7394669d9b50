import { describe, expect, it } from 'vitest';
import { isDriverError } from './errors.js';
import { MIN_MEMORY_BYTES, validateLimits } from './limits.js';

const host = { cpus: 2, memoryBytes: 4 * 1024 ** 3 };
const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isDriverError(e) ? e.code : 'other';
  }
};

describe('validateLimits', () => {
  it('accepts limits within the host capacity', () => {
    expect(validateLimits({ cpus: 1.5, memoryBytes: 1024 ** 3, pids: 100, cpuSeconds: 10, fileSizeBytes: 1 }, host)).toBeTruthy();
    expect(validateLimits(undefined, host)).toEqual({});
  });

  it.each([
    [{ cpus: -1 }],
    [{ cpus: 0 }],
    [{ cpus: Number.NaN }],
    [{ cpus: 3 }],
    [{ memoryBytes: -1 }],
    [{ memoryBytes: MIN_MEMORY_BYTES - 1 }],
    [{ memoryBytes: 5 * 1024 ** 3 }],
    [{ memoryBytes: 1.5e7 + 0.5 }],
    [{ pids: 0 }],
    [{ pids: 2.5 }],
    [{ cpuSeconds: -3 }],
    [{ fileSizeBytes: 0 }],
  ])('rejects %j with limit_invalid', (limits) => {
    expect(codeOf(() => validateLimits(limits, host))).toBe('limit_invalid');
  });

  it('takes host capacity from os by default', () => {
    expect(codeOf(() => validateLimits({ cpus: 100_000 }))).toBe('limit_invalid');
  });

  it('reports a limit the driver cannot enforce as unsupported', () => {
    const support = { cpus: false, memory: true, pids: true, cpuTime: true, fileSize: true };
    expect(codeOf(() => validateLimits({ cpus: 1 }, host, support))).toBe('unsupported');
    expect(codeOf(() => validateLimits({ memoryBytes: MIN_MEMORY_BYTES }, host, support))).toBe('ok');
  });
});
