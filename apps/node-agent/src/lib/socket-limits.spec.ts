import { EventEmitter } from 'node:events';
import { manualClock } from '@bosun/util';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { keepAlive } from './socket-limits.js';

/** A socket that records pings and closes; the heartbeat logic is what is under test (the real socket: terminal-multi-socket.spec). */
function fakeSocket() {
  const s = Object.assign(new EventEmitter(), { OPEN: 1, readyState: 1, pings: 0, closedWith: undefined as number | undefined });
  Object.assign(s, {
    ping: () => void s.pings++,
    close: (code: number) => {
      s.closedWith = code;
      s.readyState = 3;
      s.emit('close');
    },
  });
  return s;
}

describe('keepAlive', () => {
  it('closes 1001 on the tick after maxMissed unanswered pings, and a pong or seen() starts the count again', () => {
    const clock = manualClock(0);
    const s = fakeSocket();
    const k = keepAlive(s as unknown as WebSocket, { intervalMs: 1000, maxMissed: 3, clock });
    clock.advance(1000);
    clock.advance(1000);
    s.emit('pong');
    clock.advance(1000);
    k.seen();
    clock.advance(1000);
    clock.advance(1000);
    clock.advance(1000);
    expect(s.closedWith).toBeUndefined();
    expect(s.pings).toBe(6);
    clock.advance(1000);
    expect(s.closedWith).toBe(1001);
    // The timer stopped with the socket.
    clock.advance(10_000);
    expect(s.pings).toBe(6);
  });

  it('closes on the second tick by default when the first ping got no pong', () => {
    const clock = manualClock(0);
    const s = fakeSocket();
    keepAlive(s as unknown as WebSocket, { intervalMs: 500, clock });
    clock.advance(500);
    expect([s.pings, s.closedWith]).toEqual([1, undefined]);
    clock.advance(500);
    expect(s.closedWith).toBe(1001);
  });
});
