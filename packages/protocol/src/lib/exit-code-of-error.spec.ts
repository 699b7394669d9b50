import { describe, expect, it } from 'vitest';
import { BosunError, exitCodeOf } from './error-codes.js';
import { exitCodeOfError as registryExitCode } from './error-codes.js';

describe('exitCodeOfError', () => {
  it("returns the registry's exit code when the error carries a registered code", () => {
    expect(registryExitCode(new BosunError('engine_unavailable', 'no engine'))).toBe(exitCodeOf('engine_unavailable'));
    expect(registryExitCode(Object.assign(new Error('late'), { code: 'timeout' }))).toBe(exitCodeOf('timeout'));
  });

  it('returns undefined when the code is not in the registry or there is none', () => {
    expect(registryExitCode(Object.assign(new Error('missing'), { code: 'ENOENT' }))).toBeUndefined();
    expect(registryExitCode(Object.assign(new Error('proto'), { code: 'toString' }))).toBeUndefined();
    expect(registryExitCode(new Error('plain'))).toBeUndefined();
    expect(registryExitCode(undefined)).toBeUndefined();
    expect(registryExitCode('text')).toBeUndefined();
  });
});
