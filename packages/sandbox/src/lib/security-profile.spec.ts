import { describe, expect, it } from 'vitest';
import { toErrorBody } from '@bosun/protocol';
import { applyProfile, resolveProfile, SecurityFloorError } from './security-profile.js';

describe('resolveProfile', () => {
  it('uses the floor when the request names no profile', () => {
    expect(resolveProfile(undefined, 'standard')).toBe('standard');
  });

  it('accepts a profile when it is at or above the floor', () => {
    expect(resolveProfile('standard', 'standard')).toBe('standard');
    expect(resolveProfile('offline', 'standard')).toBe('offline');
  });

  it('refuses with security_floor and names the acceptable profiles when the request is below the floor', () => {
    expect(() => resolveProfile('open', 'strict')).toThrowError(SecurityFloorError);
    let caught: unknown;
    try {
      resolveProfile('standard', 'strict');
    } catch (e) {
      caught = e;
    }
    expect(toErrorBody(caught)).toMatchObject({ code: 'security_floor', details: { requested: 'standard', floor: 'strict' } });
    expect((caught as Error).message).toContain('"standard" is weaker than this worker\'s floor "strict"');
    expect((caught as Error).message).toContain('strict, offline');
  });
});

describe('applyProfile', () => {
  it('keeps caller limits when the profile is open', () => {
    expect(applyProfile({ memoryBytes: 123 }, 'open')).toMatchObject({ memoryBytes: 123, readOnlyRoot: false });
  });

  it('takes the tighter of caller and profile limits when both set one', () => {
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
