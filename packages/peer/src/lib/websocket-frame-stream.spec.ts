import { describe, expect, it } from 'vitest';
import { webSocketLink } from '../conformance/links.test-util.js';
import { describePeerConformance } from '../conformance/peer-conformance.test-util.js';
import { rawDataToBytes, truncateUtf8, webSocketOptions } from './websocket-frame-stream.js';

describePeerConformance('ws', webSocketLink);

describe('WebSocketFrameStream helpers', () => {
  it('joins fragmented RawData into one byte array when ws hands over a list', () => {
    expect(Array.from(rawDataToBytes([Buffer.from([1, 2]), Buffer.from([3])]))).toEqual([1, 2, 3]);
    expect(Array.from(rawDataToBytes(new Uint8Array([4, 5]).buffer))).toEqual([4, 5]);
  });

  it('gives ws the same maxPayload as maxFrameBytes and no compression when asked for options', () => {
    expect(webSocketOptions(4096)).toEqual({ maxPayload: 4096, perMessageDeflate: false, skipUTF8Validation: true });
    expect(() => webSocketOptions(0)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('cuts a close reason without splitting a character when it is over the limit', () => {
    const cut = truncateUtf8('é'.repeat(100), 123);
    expect(Buffer.byteLength(cut)).toBe(122);
    expect(cut).toBe('é'.repeat(61));
  });
});
