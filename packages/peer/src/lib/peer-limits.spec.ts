import { describe, expect, it } from 'vitest';
import { DEFAULT_PEER_LIMITS, resolvePeerLimits } from './peer-limits.js';

describe('resolvePeerLimits', () => {
  it('fills the stated defaults and freezes them when nothing is given', () => {
    const l = resolvePeerLimits({}, 2 * 1024 * 1024);
    expect(l).toEqual({ ...DEFAULT_PEER_LIMITS, remoteMaxFrameBytes: 2 * 1024 * 1024 });
    expect(Object.isFrozen(l)).toBe(true);
  });

  it('keeps the message limit under a small stream limit when the stream accepts less than 1 MiB', () => {
    expect(resolvePeerLimits({}, 4096).maxMessageBytes).toBe(4096);
  });

  it('refuses a message limit above the stream frame limit when given one', () => {
    expect(() => resolvePeerLimits({ maxMessageBytes: 8192 }, 4096)).toThrow(expect.objectContaining({ code: 'invalid_argument', details: { option: 'maxMessageBytes' } }));
  });

  it('refuses marks in the wrong order when low is not below high', () => {
    expect(() => resolvePeerLimits({ lowWaterMark: 10, highWaterMark: 10 }, 4096)).toThrow(expect.objectContaining({ details: { option: 'lowWaterMark' } }));
  });

  it('refuses zero, negative and fractional bounds when given them', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => resolvePeerLimits({ maxInboundInFlight: bad }, 4096)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
    expect(resolvePeerLimits({ lowWaterMark: 0 }, 4096).lowWaterMark).toBe(0);
  });
});
