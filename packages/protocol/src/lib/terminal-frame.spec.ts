import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { decodeTerminalFrame, encodeTerminalFrame, encodeTerminalInputFrame } from './terminal-frame.js';

const bytes = (...values: number[]) => new Uint8Array(values);
const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);

describe('encodeTerminalFrame', () => {
  it('writes the documented layout when encoding an output frame', () => {
    const frame = encodeTerminalFrame({ terminalId: 't1', offset: 258, data: bytes(0xe2, 0x82, 0xac) });
    expect([...frame]).toEqual([1, 2, 0x74, 0x31, 0, 0, 0, 0, 0, 0, 1, 2, 0xe2, 0x82, 0xac]);
  });

  it('writes the documented layout when encoding an input frame', () => {
    expect([...encodeTerminalInputFrame({ terminalId: 't1', data: bytes(0x0d) })]).toEqual([2, 2, 0x74, 0x31, 0x0d]);
  });

  it('throws invalid_field when the offset is not a safe non-negative integer', () => {
    for (const offset of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
      expect(() => encodeTerminalFrame({ terminalId: 't', offset, data: bytes() })).toThrow(ProtocolError);
    }
  });

  it('throws invalid_field when the terminal id is not a resource id', () => {
    for (const terminalId of ['', 'x'.repeat(129), 'é', '../x']) {
      try {
        encodeTerminalInputFrame({ terminalId, data: bytes() });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).path).toEqual(['terminalId']);
      }
    }
  });
});

describe('decodeTerminalFrame', () => {
  it('round-trips output frames when the input is any valid frame', () => {
    fc.assert(
      fc.property(idArb, fc.maxSafeNat(), fc.uint8Array({ maxLength: 512 }), (terminalId, offset, data) => {
        const decoded = decodeTerminalFrame(encodeTerminalFrame({ terminalId, offset, data }));
        expect(decoded).toEqual({ ok: true, frame: { kind: 'output', terminalId, offset, data } });
      }),
    );
  });

  it('round-trips input frames when the input is any valid frame', () => {
    fc.assert(
      fc.property(idArb, fc.uint8Array({ maxLength: 512 }), (terminalId, data) => {
        const decoded = decodeTerminalFrame(encodeTerminalInputFrame({ terminalId, data }));
        expect(decoded).toEqual({ ok: true, frame: { kind: 'input', terminalId, data } });
      }),
    );
  });

  it('decodes a frame when it sits at an offset inside a larger buffer', () => {
    const frame = encodeTerminalFrame({ terminalId: 'abc', offset: 7, data: bytes(1, 2) });
    const big = new Uint8Array(frame.byteLength + 5);
    big.set(frame, 3);
    const decoded = decodeTerminalFrame(big.subarray(3, 3 + frame.byteLength));
    expect(decoded).toEqual({ ok: true, frame: { kind: 'output', terminalId: 'abc', offset: 7, data: bytes(1, 2) } });
  });

  it.each([
    ['empty', bytes()],
    ['kind only', bytes(1)],
    ['unknown kind', bytes(9, 1, 0x61)],
    ['zero id length', bytes(1, 0, 0, 0, 0, 0, 0, 0, 0, 0)],
    ['id length beyond 128', bytes(2, 200, ...new Array<number>(200).fill(0x61))],
    ['id longer than the frame', bytes(2, 5, 0x61)],
    ['output offset truncated', bytes(1, 1, 0x61, 0, 0, 0)],
    ['id not UTF-8', bytes(2, 1, 0xff)],
    ['id not a resource id', bytes(2, 2, 0x2e, 0x2e)],
    ['offset beyond 2^53-1', bytes(1, 1, 0x61, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
  ])('answers invalid_frame when the frame is malformed (%s)', (_name, frame) => {
    const decoded = decodeTerminalFrame(frame);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.error.code).toBe('invalid_frame');
      expect(decoded.error.toWire()).toMatchObject({ v: 1, type: 'error', code: 'invalid_frame' });
    }
  });

  it('uses the given protocol for the error reply when one is passed', () => {
    const decoded = decodeTerminalFrame(bytes(), { protocol: 'node-agent' });
    expect(!decoded.ok && decoded.error.protocol).toBe('node-agent');
  });

  it('never throws when fed random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (frame) => {
        const decoded = decodeTerminalFrame(frame);
        if (!decoded.ok) expect(decoded.error.code).toBe('invalid_frame');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws when fed random bytes behind a plausible header', () => {
    const arb = fc
      .tuple(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 }))
      .map(([kind, len, rest]) => new Uint8Array([kind, len, ...rest]));
    fc.assert(fc.property(arb, (frame) => void decodeTerminalFrame(frame)), { numRuns: 2000 });
  });
});
