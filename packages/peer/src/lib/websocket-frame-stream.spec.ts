import { describe, expect, it } from 'vitest';
import { webSocketLink } from '../conformance/links.test-util.js';
import { describePeerConformance } from '../conformance/peer-conformance.test-util.js';
import { canSkipMasking, rawDataToBytes, truncateUtf8, webSocketClientOptions, webSocketOptions } from './websocket-frame-stream.js';

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

describe('canSkipMasking', () => {
  it.each([
    ['wss://hub.example.com/ws/worker', true],
    ['ws://127.0.0.1:8080/ws/worker', true],
    ['ws://127.9.0.3/ws', true],
    ['ws://localhost:3000/', true],
    ['ws://[::1]:3000/', true],
    ['ws://hub.example.com/ws/worker', false],
    ['ws://10.0.0.5/ws', false],
    ['ws://127.0.0.1.evil.example/ws', false],
    ['ws://localhost.evil.example/', false],
    ['not a url', false],
  ])('says %s → %s', (url, want) => {
    expect(canSkipMasking(url)).toBe(want);
  });
});

describe('webSocketClientOptions', () => {
  it('sends frames with a zero mask on loopback, so the payload crosses the wire as is, and masks elsewhere', async () => {
    const { WebSocket, WebSocketServer } = await import('ws');
    const { createServer, connect } = await import('node:net');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const got = new Promise<Buffer>((r) => wss.on('connection', (ws) => ws.on('message', (d) => r(d as Buffer))));
    // A TCP relay in the middle records what the client really puts on the wire.
    const wire: Buffer[] = [];
    const relay = createServer((c) => {
      const up = connect((wss.address() as { port: number }).port, '127.0.0.1');
      c.on('data', (d) => (wire.push(d), up.write(d)));
      up.on('data', (d) => c.write(d));
      c.on('close', () => up.destroy());
      up.on('close', () => c.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(relay.address() as { port: number }).port}/`;
    const ws = new WebSocket(url, webSocketClientOptions(url));
    await new Promise<void>((r) => ws.once('open', () => r()));
    const payload = Buffer.from('terminal-bytes-'.repeat(20));
    ws.send(payload, { binary: true });
    expect((await got).equals(payload)).toBe(true);
    expect(Buffer.concat(wire).includes(payload)).toBe(true);
    ws.close();
    relay.close();
    wss.close();
    expect(webSocketClientOptions('ws://hub.example.com/').generateMask).toBeUndefined();
    expect(webSocketClientOptions('ws://hub.example.com/').maxPayload).toBe(webSocketOptions().maxPayload);
  });
});
