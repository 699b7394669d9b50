import { describe, expect, it } from 'vitest';
import { BosunError, ERROR_CODES, exitCodeOf, httpStatusOf, isBosunError, isErrorCode, toErrorBody } from './error-codes.js';
import { PROTOCOL_ERROR_CODES, ProtocolError } from './errors.js';

describe('ERROR_CODES', () => {
  it('registers every protocol code when they are listed', () => {
    for (const c of PROTOCOL_ERROR_CODES) expect(isErrorCode(c), c).toBe(true);
  });

  it('answers the statuses the old hub switch missed when looked up', () => {
    expect(httpStatusOf('setup_failed')).toBe(502);
    expect(httpStatusOf('git_unavailable')).toBe(424);
    expect(httpStatusOf('busy')).toBe(429);
    expect(httpStatusOf('not_registered')).toBe(409);
    expect(httpStatusOf('not_found')).toBe(404);
    expect(httpStatusOf('timeout')).toBe(504);
  });

  it('reads an unregistered code as internal when looked up', () => {
    expect(httpStatusOf('nonsense')).toBe(500);
    expect(exitCodeOf('nonsense')).toBe(1);
    expect(isErrorCode('toString')).toBe(false);
  });

  it('gives every code a meaning, an HTTP error status and a non-zero exit code', () => {
    for (const [c, info] of Object.entries(ERROR_CODES)) {
      expect(info.meaning.length, c).toBeGreaterThan(10);
      expect(info.status, c).toBeGreaterThanOrEqual(400);
      expect(info.exit, c).toBeGreaterThan(0);
    }
  });
});

describe('BosunError', () => {
  it('carries its code, status and wire form when thrown by a service', () => {
    const e = BosunError.forbiddenPath('bind mount /x is outside the allowed roots', { path: '/x' });
    expect(isBosunError(e, 'forbidden_path')).toBe(true);
    expect(e.status).toBe(403);
    expect(e.toWire(1, 'r1')).toEqual({ v: 1, type: 'error', id: 'r1', code: 'forbidden_path', message: e.message, details: { path: '/x' } });
  });

  it('keeps a registered code of any error and calls the rest internal when turned into a body', () => {
    expect(toErrorBody(ProtocolError.tooDeep(4, { protocol: 'worker' }))).toMatchObject({ code: 'too_deep' });
    expect(toErrorBody(Object.assign(new Error('gone'), { code: 'not_found' }))).toEqual({ code: 'not_found', message: 'gone' });
    expect(toErrorBody(Object.assign(new Error('x'), { code: 'ENOENT' }))).toEqual({ code: 'internal', message: 'x' });
    expect(toErrorBody('str')).toEqual({ code: 'internal', message: 'internal error' });
  });
});
