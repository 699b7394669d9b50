/**
 * The one behaviour suite every transport passes. Each transport's spec calls
 * `describePeerConformance(name, makeLink)`; the suite speaks the worker protocol:
 * peer `orch` (receives `toOrchestrator`) on the link's `a` end, peer `worker`
 * (receives `toWorker`) on its `b` end, or a raw attacker on `b` writing frames the
 * protocol forbids. Deadlines and log windows run on a manual clock; waits are for
 * conditions, never for time.
 */
import type { Logger } from '@bosun/logger';
import { isBosunError, workerProtocol, type ErrorCode } from '@bosun/protocol';
import { manualClock, type ManualClock } from '@bosun/util';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, type Frame, type FrameStream } from '../lib/frame-stream.js';
import { Peer, type PeerOptions } from '../lib/peer.js';
import type { PeerLimits } from '../lib/peer-limits.js';
import type { Link, MakeLink } from './links.test-util.js';

type WP = typeof workerProtocol;
type Orch = Peer<WP, 'toOrchestrator'>;
type Worker = Peer<WP, 'toWorker'>;

const v = 1;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Resolves when `check()` is true, looking again on every turn of the event loop (no timers, no wall clock). */
export async function until(check: () => boolean, what = 'condition'): Promise<void> {
  for (let turns = 0; !check(); turns += 1) {
    if (turns > 5_000_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Asserts that `p` rejects with a BosunError of `code`; returns it. */
export async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a BosunError ${code}`).toBeDefined();
  if (!isBosunError(err)) throw err;
  expect(err.code).toBe(code);
  return err;
}

/** A logger that keeps every line, for counting. */
export function recordingLogger(): Logger & { lines: { level: string; obj: unknown; msg: string | undefined }[] } {
  const lines: { level: string; obj: unknown; msg: string | undefined }[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A promise with its resolver outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Collects the JSON text frames arriving on a raw stream. */
function collectText(stream: FrameStream): Record<string, unknown>[] {
  const got: Record<string, unknown>[] = [];
  stream.onFrame((f: Frame) => {
    if (f.kind === 'text') got.push(JSON.parse(dec.decode(f.data)) as Record<string, unknown>);
  });
  return got;
}

/** Registers the shared suite for one transport. */
export function describePeerConformance(name: string, makeLink: MakeLink): void {
  describe(`Peer conformance: ${name}`, () => {
    const links: Link[] = [];
    let clock: ManualClock;

    afterEach(async () => {
      for (const l of links.splice(0)) await l.dispose();
    });

    const link = async (maxFrameBytes?: number) => {
      const l = await makeLink(maxFrameBytes === undefined ? {} : { maxFrameBytes });
      links.push(l);
      clock = manualClock();
      return l;
    };
    const orchOn = (stream: FrameStream, limits: Partial<PeerLimits> = {}, extra: Partial<PeerOptions<WP, 'toOrchestrator'>> = {}): Orch =>
      new Peer({ stream, protocol: workerProtocol, receives: 'toOrchestrator', clock, limits, ...extra });
    const workerOn = (stream: FrameStream, limits: Partial<PeerLimits> = {}): Worker =>
      new Peer({ stream, protocol: workerProtocol, receives: 'toWorker', clock, limits });
    const peers = async (limits: { orch?: Partial<PeerLimits>; worker?: Partial<PeerLimits> } = {}) => {
      const l = await link();
      return { l, orch: orchOn(l.a, limits.orch), worker: workerOn(l.b, limits.worker) };
    };
    const list = (tenant = 'acme') => ({ v, type: 'container.list', tenant }) as const;

    it('resolves a request with its reply when the far side serves it', async () => {
      const { orch, worker } = await peers();
      const seen: unknown[] = [];
      worker.onRequest((req) => {
        seen.push(req);
        return { v, type: 'container.list.result', containers: [] };
      });
      const reply = await orch.request(list());
      expect(reply).toEqual({ v, type: 'container.list.result', id: 'r1', containers: [] });
      expect(seen).toEqual([{ v, type: 'container.list', id: 'r1', tenant: 'acme' }]);
      expect(orch.inFlight.outbound).toBe(0);
    });

    it('correlates replies by id when they come back in reverse order', async () => {
      const { orch, worker } = await peers();
      const held: { tenant: string; release: (r: unknown) => void }[] = [];
      worker.onRequest((req) => {
        const d = deferred<unknown>();
        held.push({ tenant: (req as { tenant: string }).tenant, release: d.resolve });
        return d.promise.then(() => ({ v, type: 'container.list.result' as const, containers: [], }));
      });
      const replies = Array.from({ length: 10 }, (_, i) => orch.request({ ...list(`t${i}`), id: `q${i}` }));
      await until(() => held.length === 10, 'ten requests served');
      for (const h of [...held].reverse()) h.release(undefined);
      const got = await Promise.all(replies);
      expect(got.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `q${i}`));
      expect(held.map((h) => h.tenant)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));
    });

    it('routes progress to its own request when two requests stream at once', async () => {
      const { orch, worker } = await peers();
      worker.onRequest(async (req, ctx) => {
        const tag = (req as { tag: string }).tag;
        for (let i = 1; i <= 3; i += 1) ctx.progress({ v, type: 'image.build.progress', line: `${tag} step ${i}` });
        return { v, type: 'image.build.result', tag, imageId: `sha256:${tag.length}` };
      });
      const lines: Record<string, string[]> = { 'localhost/a:1': [], 'localhost/bb:1': [] };
      const build = (tag: string) =>
        orch.request(
          { v, type: 'image.build', tag, context: { type: 'tar', base64: 'aGVsbG8=' } },
          { onProgress: (m) => void (lines[tag] as string[]).push((m as { line: string }).line) },
        );
      const [a, b] = await Promise.all([build('localhost/a:1'), build('localhost/bb:1')]);
      expect(a).toMatchObject({ type: 'image.build.result', tag: 'localhost/a:1' });
      expect(b).toMatchObject({ type: 'image.build.result', tag: 'localhost/bb:1' });
      expect(lines['localhost/a:1']).toEqual(['localhost/a:1 step 1', 'localhost/a:1 step 2', 'localhost/a:1 step 3']);
      expect(lines['localhost/bb:1']).toEqual(['localhost/bb:1 step 1', 'localhost/bb:1 step 2', 'localhost/bb:1 step 3']);
    });

    it('delivers a message without a pending request to onEvent when the far side pushes one', async () => {
      const { orch, worker } = await peers();
      const events: unknown[] = [];
      orch.onEvent((m) => events.push(m));
      worker.send({ v, type: 'terminal.exit', terminalId: 't-1', exitCode: 0 });
      await until(() => events.length === 1, 'event');
      expect(events).toEqual([{ v, type: 'terminal.exit', terminalId: 't-1', exitCode: 0 }]);
    });

    it('rejects with timeout when no reply comes before the deadline', async () => {
      const { orch, worker } = await peers();
      let served = 0;
      worker.onRequest(() => {
        served += 1;
        return new Promise(() => undefined);
      });
      const p = orch.request(list(), { timeoutMs: 1_000 });
      await until(() => served === 1, 'request served');
      clock.advance(999);
      expect(orch.inFlight.outbound).toBe(1);
      clock.advance(1);
      const err = await expectCode(p, 'timeout');
      expect(err.message).toContain('container.list');
      expect(orch.inFlight.outbound).toBe(0);
    });

    it('fails every pending request with disconnected when the far side closes', async () => {
      const { orch, worker } = await peers();
      const signals: AbortSignal[] = [];
      worker.onRequest((_req, ctx) => {
        signals.push(ctx.signal);
        return new Promise(() => undefined);
      });
      const closes: [number, string][] = [];
      orch.onClose((code, reason) => closes.push([code, reason]));
      const pending = [orch.request(list('a')), orch.request(list('b')), orch.request(list('c'))];
      await until(() => worker.inFlight.inbound === 3, 'three requests running');
      worker.close(CLOSE_CODES.goingAway, 'worker shutting down');
      for (const p of pending) {
        const err = await expectCode(p, 'disconnected');
        expect((err as { details?: { closeCode?: number } }).details?.closeCode).toBe(CLOSE_CODES.goingAway);
      }
      expect(closes).toEqual([[CLOSE_CODES.goingAway, 'worker shutting down']]);
      expect(signals.every((s) => s.aborted)).toBe(true);
      await expectCode(orch.request(list()), 'disconnected');
    });

    it('fails pending requests with disconnected when the far side vanishes without a close', async () => {
      const { l, orch, worker } = await peers();
      worker.onRequest(() => new Promise(() => undefined));
      const p = orch.request(list());
      await until(() => worker.inFlight.inbound === 1, 'request running');
      l.sever();
      await expectCode(p, 'disconnected');
      await until(() => worker.closed, 'server end sees the link gone');
    });

    it('answers malformed, oversize and too-deep text frames with typed errors and keeps the link', async () => {
      const l = await link();
      const orch = orchOn(l.a, { maxMessageBytes: 64 * 1024, maxDepth: 16 });
      const events: unknown[] = [];
      orch.onEvent((m) => events.push(m));
      const got = collectText(l.b);
      const bad: (string | Uint8Array)[] = [
        'not json {',
        Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]),
        JSON.stringify({ v, type: 'no.such.type' }),
        JSON.stringify({ v: 99, type: 'terminal.exit', terminalId: 't-1', exitCode: 0 }),
        JSON.stringify({ v, type: 'container.list.result', id: 'x1', containers: 'nope' }),
        '['.repeat(40) + ']'.repeat(40),
        JSON.stringify({ v, type: 'terminal.exit', terminalId: 't-1', exitCode: 0, pad: 'x'.repeat(100 * 1024) }),
      ];
      for (const text of bad) l.b.send({ kind: 'text', data: typeof text === 'string' ? enc.encode(text) : text });
      l.b.send({ kind: 'text', data: enc.encode(JSON.stringify({ v, type: 'terminal.exit', terminalId: 't-2', exitCode: 1 })) });
      await until(() => got.length === bad.length && events.length === 1, 'an error reply each and one event');
      expect(got.map((m) => [m['type'], m['code']])).toEqual([
        ['error', 'invalid_json'],
        ['error', 'invalid_json'],
        ['error', 'unknown_type'],
        ['error', 'unsupported_version'],
        ['error', 'invalid_field'],
        ['error', 'too_deep'],
        ['error', 'too_large'],
      ]);
      expect(got[4]).toMatchObject({ id: 'x1', details: { path: ['containers'] } });
      expect(events).toEqual([{ v, type: 'terminal.exit', terminalId: 't-2', exitCode: 1 }]);
      expect(orch.closed).toBe(false);
    });

    it('answers busy at once when more inbound requests arrive than may run', async () => {
      const { orch, worker } = await peers({ worker: { maxInboundInFlight: 2 } });
      const gate = deferred();
      let started = 0;
      worker.onRequest(async () => {
        started += 1;
        await gate.promise;
        return { v, type: 'container.list.result', containers: [] };
      });
      const first = [orch.request(list('a')), orch.request(list('b'))];
      await until(() => started === 2, 'two running');
      await expectCode(orch.request(list('c')), 'busy');
      expect(started).toBe(2);
      gate.resolve();
      expect((await Promise.all(first)).map((r) => r.type)).toEqual(['container.list.result', 'container.list.result']);
      expect(worker.inFlight.inbound).toBe(0);
    });

    it('rejects busy without sending when outbound requests in flight reach the bound', async () => {
      const { orch, worker } = await peers({ orch: { maxOutboundInFlight: 2 } });
      let served = 0;
      worker.onRequest(() => {
        served += 1;
        return new Promise(() => undefined);
      });
      const held = [orch.request(list('a')), orch.request(list('b'))];
      await expectCode(orch.request(list('c')), 'busy');
      await until(() => served === 2, 'two served');
      orch.close();
      for (const p of held) await expectCode(p, 'disconnected');
      expect(served).toBe(2);
    });

    it('makes sendBinary wait with a bounded queue when the reader stops reading', async () => {
      const { l, orch, worker } = await peers({ orch: { lowWaterMark: 256 * 1024, highWaterMark: 1024 * 1024 } });
      const frameBytes = 64 * 1024;
      const received: number[] = [];
      worker.onBinary((data) => {
        expect(data.byteLength).toBe(frameBytes);
        received.push(Buffer.from(data).readUInt32BE(0));
      });
      l.b.pause();
      let sent = 0;
      let waiting = false;
      let stop = false;
      let maxBuffered = 0;
      const producer = (async () => {
        while (!stop) {
          const frame = Buffer.alloc(frameBytes, sent % 251);
          frame.writeUInt32BE(sent, 0);
          const p = orch.sendBinary(frame);
          maxBuffered = Math.max(maxBuffered, orch.bufferedAmount);
          waiting = true;
          await p;
          waiting = false;
          sent += 1;
          if (sent > 4096) throw new Error('the queue never filled: sendBinary did not wait');
        }
      })();
      // The kernel and the transport absorb what they can; then this side's queue passes the low-water mark.
      await until(() => waiting && orch.bufferedAmount > orch.limits.lowWaterMark, 'the producer blocked');
      expect(maxBuffered).toBeLessThanOrEqual(orch.limits.lowWaterMark + frameBytes);
      stop = true;
      l.b.resume();
      await producer;
      const total = sent;
      await until(() => received.length === total, 'every frame delivered');
      expect(received).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(maxBuffered).toBeLessThanOrEqual(orch.limits.lowWaterMark + frameBytes);
    });

    it('refuses an outbound frame bigger than the far side accepts and never sends it', async () => {
      const l = await link(8 * 1024);
      const orch = orchOn(l.a, { maxMessageBytes: 4 * 1024 });
      const worker = workerOn(l.b, { maxMessageBytes: 4 * 1024 });
      expect(orch.limits.remoteMaxFrameBytes).toBe(8 * 1024);
      const bins: number[] = [];
      worker.onBinary((d) => bins.push(d.byteLength));
      await expectCode(orch.sendBinary(new Uint8Array(8 * 1024 + 1)), 'too_large');
      expect(() => orch.send({ v, type: 'error', code: 'internal', message: 'x'.repeat(4096), details: { pad: 'y'.repeat(5000) } })).toThrow(
        expect.objectContaining({ code: 'too_large' }),
      );
      await orch.sendBinary(new Uint8Array(8 * 1024));
      await until(() => bins.length === 1, 'the frame that fits');
      expect(bins).toEqual([8 * 1024]);
      expect(orch.closed || worker.closed).toBe(false);
    });

    it('closes with 1009 when a raw frame over the limit arrives', async () => {
      const l = await link(4 * 1024);
      const closes: number[] = [];
      l.b.onFrame(() => undefined);
      l.b.onClose((code) => closes.push(code));
      l.a.send({ kind: 'binary', data: new Uint8Array(4 * 1024 + 1) });
      await until(() => closes.length === 1, 'receiver closed');
      expect(closes).toEqual([CLOSE_CODES.tooBig]);
    });

    it('logs a flood of malformed messages once with a count when one connection repeats them', async () => {
      const l = await link();
      const logger = recordingLogger();
      const orch = orchOn(l.a, {}, { logger });
      const got = collectText(l.b);
      const flood = 2_000;
      for (let i = 0; i < flood; i += 1) l.b.send({ kind: 'text', data: enc.encode(`garbage ${i}`) });
      await until(() => got.length === flood, 'every bad frame answered');
      expect(got.every((m) => m['code'] === 'invalid_json')).toBe(true);
      expect(logger.lines.filter((x) => x.level === 'warn')).toHaveLength(1);
      clock.advance(orch.limits.logWindowMs);
      const warns = logger.lines.filter((x) => x.level === 'warn');
      expect(warns).toHaveLength(2);
      expect(warns[1]?.obj).toMatchObject({ code: 'invalid_json', repeated: flood - 1 });
      expect(orch.closed).toBe(false);
    });
  });
}
