import { systemClock, type Clock } from '@bosun/util';
import type { RawData, WebSocket } from 'ws';

/** Close codes of the node agent's sockets. */
export const TERMINAL_CLOSE = Object.freeze({
  normal: { code: 1000, reason: 'exited' },
  policy: { code: 1008, reason: 'rate limit' },
  badRequest: { code: 1008, reason: 'bad request' },
  tooLarge: { code: 1009, reason: 'too large' },
  idle: { code: 1001, reason: 'idle' },
  refused: { code: 4004, reason: 'not found' },
  slow: { code: 4008, reason: 'slow viewer' },
} as const);

/** Options of {@link inboundGate}. */
export interface InboundGateOptions {
  /** Largest message accepted, bytes. */
  maxMessageBytes: number;
  /** Messages per second on average; bursts of twice as many. */
  maxMessagesPerSec: number;
  clock?: Clock;
}

/** What {@link inboundGate} decides for one message: its bytes, or the close to answer it with. */
export type GateVerdict = { ok: true; data: Buffer } | { ok: false; close: { code: number; reason: string } };

/**
 * The size and rate check every inbound socket message passes first: one place for the
 * limits both terminal sockets promise (1009 over the size, 1008 over the rate; a token
 * bucket refilled at `maxMessagesPerSec`, holding twice that).
 */
export function inboundGate(o: InboundGateOptions): (raw: RawData) => GateVerdict {
  const clock = o.clock ?? systemClock;
  const rate = o.maxMessagesPerSec;
  let tokens = 2 * rate;
  let lastRefill = clock.now();
  return (raw) => {
    const data = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (data.length > o.maxMessageBytes) return { ok: false, close: TERMINAL_CLOSE.tooLarge };
    const now = clock.now();
    tokens = Math.min(2 * rate, tokens + ((now - lastRefill) / 1000) * rate);
    lastRefill = now;
    if (tokens < 1) return { ok: false, close: TERMINAL_CLOSE.policy };
    tokens -= 1;
    return { ok: true, data };
  };
}

/** Options of {@link keepAlive}. */
export interface KeepAliveOptions {
  /** Time between pings, ms. */
  intervalMs: number;
  /** Pings in a row that may go unanswered; on the next tick the socket is closed 1001 (default 1). */
  maxMissed?: number;
  clock?: Clock;
}

/**
 * Pings `socket` every `intervalMs` and closes it with 1001 `idle` once `maxMissed` pings
 * in a row got no pong (nor anything passed to `seen`). One heartbeat for every socket of
 * the node agent; the timer stops when the socket closes.
 */
export function keepAlive(socket: WebSocket, o: KeepAliveOptions): { seen(): void } {
  const clock = o.clock ?? systemClock;
  const maxMissed = o.maxMissed ?? 1;
  let missed = 0;
  let timer: unknown;
  const tick = () => {
    if (missed >= maxMissed) return socket.close(TERMINAL_CLOSE.idle.code, TERMINAL_CLOSE.idle.reason);
    missed++;
    if (socket.readyState === socket.OPEN) socket.ping();
    timer = clock.setTimeout(tick, o.intervalMs);
    (timer as { unref?: () => void }).unref?.();
  };
  timer = clock.setTimeout(tick, o.intervalMs);
  (timer as { unref?: () => void }).unref?.();
  const seen = () => void (missed = 0);
  socket.on('pong', seen);
  socket.on('close', () => clock.clearTimeout(timer));
  return { seen };
}
