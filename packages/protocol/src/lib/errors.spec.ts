import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERROR_CODES, ProtocolError, isProtocolError } from './errors.js';

describe('ProtocolError', () => {
  it('builds each code from its factory when called', () => {
    const ctx = { protocol: 'jobs' as const, id: 'r' };
    const errors = [
      ProtocolError.tooLarge(10, 5, ctx),
      ProtocolError.tooDeep(32, ctx),
      ProtocolError.invalidJson('bad', ctx),
      ProtocolError.unknownType('x', ctx),
      ProtocolError.unsupportedVersion(2, ctx),
      ProtocolError.invalidField(['a', 0], 'bad', ctx),
      ProtocolError.invalidFrame('bad', ctx),
    ];
    expect(errors.map((e) => e.code)).toEqual([...PROTOCOL_ERROR_CODES]);
    for (const error of errors) {
      expect(isProtocolError(error)).toBe(true);
      expect(error).toBeInstanceOf(Error);
      expect(error.toWire()).toMatchObject({ v: 1, type: 'error', id: 'r', code: error.code });
    }
  });

  it('puts the path in details when it is not empty', () => {
    const wire = ProtocolError.invalidField(['limits', 'pids'], 'too big', { protocol: 'worker' }).toWire();
    expect(wire).toEqual({
      v: 1,
      type: 'error',
      code: 'invalid_field',
      message: 'limits.pids: too big',
      details: { path: ['limits', 'pids'] },
    });
  });

  it('leaves id and details out of the wire form when there are none', () => {
    expect(ProtocolError.invalidJson('x', { protocol: 'hub' }).toWire()).toEqual({
      v: 1,
      type: 'error',
      code: 'invalid_json',
      message: 'invalid JSON: x',
    });
  });
});
