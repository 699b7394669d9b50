import { BosunError, sshAgentProtocol, workerProtocol } from '@bosun/protocol';
import { manualClock } from '@bosun/util';
import { describe, expect, it } from 'vitest';
import { expectCode, recordingLogger, until } from '../conformance/peer-conformance.test-util.js';
import { CLOSE_CODES, type Frame } from './frame-stream.js';
import { createMemoryFramePair, type MemoryFrameStream } from './memory-frame-stream.js';
import { Peer, RemoteError } from './peer.js';
import type { PeerLimits } from './peer-limits.js';

const v = 1;
const enc = new TextEncoder();
const dec = new TextDecoder();

function orchestrator(stream: MemoryFrameStream, limits: Partial<PeerLimits> = {}, logger = recordingLogger(), clock = manualClock()) {
  return { peer: new Peer({ stream, protocol: workerProtocol, receives: 'toOrchestrator', limits, logger, clock }), logger, clock };
}

function rawText(stream: MemoryFrameStream, value: unknown): void {
  stream.send({ kind: 'text', data: enc.encode(typeof value === 'string' ? value : JSON.stringify(value)) });
}

const list = { v, type: 'container.list', tenant: 'acme' } as const;

describe('Peer', () => {
  it('logs an adapter warning once per key and window, and its count when the link closes', async () => {
    const [a] = createMemoryFramePair();
    const { peer, logger } = orchestrator(a);
    for (let i = 0; i < 50; i++) peer.warn('frame:invalid_frame', { code: 'invalid_frame' }, 'bad frame');
    expect(logger.lines.filter((l) => l.msg === 'bad frame')).toHaveLength(1);
    peer.close();
    await until(() => logger.lines.some((l) => (l.obj as { repeated?: number }).repeated === 49));
  });

  it('runs onReply before the frame that follows the reply in the same turn is handled', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer } = orchestrator(a);
    const order: string[] = [];
    peer.onBinary(() => order.push('binary'));
    b.onFrame((f: Frame) => {
      const m = JSON.parse(dec.decode(f.data)) as { id: string };
      rawText(b, { v, type: 'container.list.result', id: m.id, containers: [] });
      b.send({ kind: 'binary', data: new Uint8Array([1]) });
    });
    const reply = peer.request(list, { onReply: (r) => order.push(r.type) });
    await reply;
    await until(() => order.length === 2);
    expect(order).toEqual(['container.list.result', 'binary']);
  });

  it('rejects with a RemoteError keeping the far side\'s code when it answers an error', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer } = orchestrator(a);
    b.onFrame((f: Frame) => {
      const m = JSON.parse(dec.decode(f.data)) as { id: string; type: string };
      const code = m.type === 'container.list' ? 'setup_failed' : 'weird_code';
      rawText(b, { v, type: 'error', id: m.id, code, message: 'no', details: { a: 1 } });
    });
    const known = await peer.request(list).catch((e: unknown) => e);
    expect(known).toBeInstanceOf(RemoteError);
    expect(known).toMatchObject({ code: 'setup_failed', remoteCode: 'setup_failed', details: { a: 1 } });
    const unknown = await peer.request({ v, type: 'images.list' }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'internal', remoteCode: 'weird_code', details: { a: 1, remoteCode: 'weird_code' } });
  });

  it('closes the link with slow_consumer when a flooding far side does not read the replies', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer } = orchestrator(a, { highWaterMark: 4096, lowWaterMark: 1024 });
    const closes: [number, string][] = [];
    peer.onClose((code, reason) => closes.push([code, reason]));
    b.onFrame(() => undefined);
    b.pause();
    let maxBuffered = 0;
    for (let i = 0; i < 500 && !peer.closed; i += 1) {
      rawText(b, `garbage ${i}`);
      await new Promise<void>((r) => setImmediate(r));
      maxBuffered = Math.max(maxBuffered, peer.bufferedAmount);
    }
    expect(closes).toHaveLength(1);
    expect(closes[0]?.[0]).toBe(CLOSE_CODES.policy);
    expect(closes[0]?.[1]).toContain('slow_consumer');
    // Bounded by the high-water mark plus one reply, not by how much the far side sent.
    expect(maxBuffered).toBeLessThanOrEqual(4096 + 512);
  });

  it('rejects slow_consumer without sending when sendBinary is called without awaiting past the high-water mark', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer } = orchestrator(a, { highWaterMark: 4096, lowWaterMark: 1024 });
    b.onFrame(() => undefined);
    b.pause();
    const calls = Array.from({ length: 10 }, () => peer.sendBinary(new Uint8Array(1024)));
    const outcomes = await Promise.race([Promise.allSettled(calls.slice(5)), new Promise<'blocked'>((r) => setImmediate(() => r('blocked')))]);
    expect(outcomes).not.toBe('blocked');
    const codes = (outcomes as PromiseSettledResult<void>[]).map((o) => (o.status === 'rejected' ? (o.reason as BosunError).code : 'ok'));
    expect(codes).toEqual(['slow_consumer', 'slow_consumer', 'slow_consumer', 'slow_consumer', 'slow_consumer']);
    // Four 1 KiB frames fit up to the mark, the fifth passes it; nothing after it was queued.
    expect(peer.bufferedAmount).toBe(5 * 1024);
    peer.close();
    for (const c of calls.slice(0, 5)) await c.catch(() => undefined);
  });

  it('rejects with the far side error code when the handler throws a BosunError', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer: orch } = orchestrator(a);
    const worker = new Peer({ stream: b, protocol: workerProtocol, receives: 'toWorker' });
    worker.onRequest(() => {
      throw BosunError.notFound('workspace ws-9');
    });
    const err = await expectCode(orch.request(list), 'not_found');
    expect(err.message).toBe('workspace ws-9 not found');
  });

  it('answers internal and logs once when a handler crashes with a plain error', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer: orch } = orchestrator(a);
    const logger = recordingLogger();
    const worker = new Peer({ stream: b, protocol: workerProtocol, receives: 'toWorker', logger, clock: manualClock() });
    worker.onRequest(() => {
      throw new TypeError('boom');
    });
    for (let i = 0; i < 5; i += 1) await expectCode(orch.request(list), 'internal');
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('keeps an unregistered far side code in details when the error reply uses one', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer } = orchestrator(a);
    b.onFrame((f: Frame) => {
      const req = JSON.parse(dec.decode(f.data)) as { id: string };
      rawText(b, { v, type: 'error', id: req.id, code: 'quota_exceeded', message: 'too many' });
    });
    const err = await expectCode(peer.request(list), 'internal');
    expect((err as BosunError).details).toEqual({ remoteCode: 'quota_exceeded' });
  });

  it('answers unsupported when a request arrives and no handler is set', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer: orch } = orchestrator(a);
    new Peer({ stream: b, protocol: workerProtocol, receives: 'toWorker' });
    await expectCode(orch.request(list), 'unsupported');
  });

  it('resolves with a reply type other than .result when replyTypes names it', async () => {
    const [a, b] = createMemoryFramePair();
    const replyTypes = { 'attach.hello': 'attach.ready' };
    const client = new Peer({ stream: a, protocol: sshAgentProtocol, receives: 'toClient', replyTypes });
    const agent = new Peer({ stream: b, protocol: sshAgentProtocol, receives: 'toAgent', replyTypes });
    agent.onRequest((req) => (req.type === 'attach.hello' ? { v, type: 'attach.ready', offset: req.fromOffset ?? 0, snapshot: false } : undefined));
    const reply = await client.request({ v, type: 'attach.hello', sessionId: 's-1', fromOffset: 7, cols: 80, rows: 24 });
    expect(reply).toEqual({ v, type: 'attach.ready', id: 'r1', offset: 7, snapshot: false });
  });

  it('drops and logs a reply when its request already timed out', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer, logger, clock } = orchestrator(a);
    const events: unknown[] = [];
    peer.onEvent((m) => events.push(m));
    const requests: { id: string }[] = [];
    b.onFrame((f) => requests.push(JSON.parse(dec.decode(f.data)) as { id: string }));
    const p = peer.request(list, { timeoutMs: 100 });
    await until(() => requests.length === 1);
    clock.advance(100);
    await expectCode(p, 'timeout');
    rawText(b, { v, type: 'container.list.result', id: requests[0]?.id, containers: [] });
    await until(() => logger.lines.length === 1);
    expect(logger.lines[0]?.msg).toContain('no pending request');
    expect(events).toEqual([]);
  });

  it('rejects cancelled and forgets the request when the caller aborts', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer } = orchestrator(a);
    b.onFrame(() => undefined);
    const ac = new AbortController();
    const p = peer.request(list, { signal: ac.signal });
    expect(peer.inFlight.outbound).toBe(1);
    ac.abort();
    await expectCode(p, 'cancelled');
    expect(peer.inFlight.outbound).toBe(0);
  });

  it('assigns distinct ids and refuses a caller id already in flight', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer } = orchestrator(a);
    b.onFrame(() => undefined);
    const p1 = peer.request({ ...list, id: 'same' });
    await expectCode(peer.request({ ...list, id: 'same' }), 'invalid_argument');
    peer.close();
    await expectCode(p1, 'disconnected');
  });

  it('refuses a direction the protocol does not have when constructed', () => {
    const [a] = createMemoryFramePair();
    expect(() => new Peer({ stream: a, protocol: workerProtocol, receives: 'toNowhere' as 'toWorker' })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });

  it('hands binary frames to onBinary byte for byte when the far side sends them', async () => {
    const [a, b] = createMemoryFramePair();
    const { peer } = orchestrator(a);
    const got: number[][] = [];
    peer.onBinary((d) => got.push(Array.from(d)));
    b.send({ kind: 'binary', data: Uint8Array.from([1, 0, 255]) });
    await until(() => got.length === 1);
    expect(got).toEqual([[1, 0, 255]]);
  });
});
