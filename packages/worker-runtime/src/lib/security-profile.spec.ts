import { describe, expect, it } from 'vitest';
import { applyProfile, resolveProfile, SecurityFloorError } from './security-profile.js';

describe('resolveProfile', () => {
  it('uses the floor when the command names no profile', () => {
    expect(resolveProfile(undefined, 'standard')).toBe('standard');
  });

  it('accepts a profile at or above the floor', () => {
    expect(resolveProfile('standard', 'standard')).toBe('standard');
    expect(resolveProfile('offline', 'standard')).toBe('offline');
  });

  it('refuses a profile below the floor with a clear error', () => {
    expect(() => resolveProfile('open', 'strict')).toThrowError(SecurityFloorError);
    try {
      resolveProfile('standard', 'strict');
    } catch (e) {
      expect((e as SecurityFloorError).code).toBe('security_floor');
      expect((e as Error).message).toContain('"standard" is weaker than this worker\'s floor "strict"');
      expect((e as Error).message).toContain('strict, offline');
    }
  });
});

describe('applyProfile', () => {
  it('keeps caller limits under an open profile', () => {
    expect(applyProfile({ memoryBytes: 123 }, 'open')).toMatchObject({ memoryBytes: 123, readOnlyRoot: false });
  });

  it('takes the tighter of caller and profile limits', () => {
    const l = applyProfile({ memoryBytes: 8 * 1024 ** 3, cpus: 0.5 }, 'standard');
    expect(l.memoryBytes).toBe(4 * 1024 ** 3);
    expect(l.cpus).toBe(0.5);
    expect(l.pids).toBe(1024);
  });

  it('cuts the network and makes the root read-only when offline', () => {
    const l = applyProfile(undefined, 'offline');
    expect(l).toMatchObject({ network: 'none', readOnlyRoot: true });
    expect(Object.keys(l.tmpfs ?? {})).toContain('/tmp');
  });
});
