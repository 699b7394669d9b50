import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TerminalRelay, type TerminalClient } from './terminal-relay.js';
import type { WorkerRegistry } from './worker-registry.js';

/** A registry stand-in that records terminal.open requests and answers them. */
function fakeRegistry(online = true, streamEnd = Infinity) {
  const opens: { terminalId?: string; fromOffset?: number }[] = [];
  const registry = {
    relay: undefined,
    isOnline: () => online,
    nextId: () => `r${opens.length}`,
    request: async (_w: string, cmd: { type: string; terminalId?: string; fromOffset?: number; id: string }) => {
      opens.push({ terminalId: cmd.terminalId, fromOffset: cmd.fromOffset });
      return { v: 1, type: 'terminal.open.result', id: cmd.id, terminalId: cmd.terminalId, offset: Math.min(cmd.fromOffset ?? 0, streamEnd) };
    },
  };
  return { registry: registry as unknown as WorkerRegistry, opens };
}

function client(pos: number) {
  const bytes: number[] = [];
  const control: Record<string, unknown>[] = [];
  const c: TerminalClient = { pos, sendBytes: (d) => bytes.push(...d), sendControl: (m) => control.push(m) };
  return { c, bytes, control };
}

const silent = pino({ level: 'silent' });
const buf = (from: number, to: number) => Uint8Array.from({ length: to - from }, (_, i) => (from + i) % 256);

describe('TerminalRelay', () => {
  it('asks the worker to replay from the lowest offset any client needs', async () => {
    const { registry, opens } = fakeRegistry();
    const relay = new TerminalRelay(registry, silent);
    await relay.join('w', 'tenant', 't1', client(100).c);
    await relay.join('w', 'tenant', 't1', client(40).c);
    expect(opens.map((o) => o.fromOffset)).toEqual([100, 40]);
  });

  it('gives each client only the bytes past its own offset: no gap, no duplicate', async () => {
    const { registry } = fakeRegistry();
    const relay = new TerminalRelay(registry, silent);
    const a = client(50);
    const b = client(20);
    await relay.join('w', 'tenant', 't1', a.c);
    await relay.join('w', 'tenant', 't1', b.c);
    relay.onOutput('w', 't1', 20, buf(20, 60)); // replay for b, half of it new to a
    relay.onOutput('w', 't1', 60, buf(60, 80)); // live
    relay.onOutput('w', 't1', 30, buf(30, 40)); // a stale replay: nobody needs it
    expect(a.bytes).toEqual([...buf(50, 80)]);
    expect(b.bytes).toEqual([...buf(20, 80)]);
    expect([a.c.pos, b.c.pos]).toEqual([80, 80]);
  });

  it('sends a snapshot only to clients behind it and moves them to its offset', async () => {
    const { registry } = fakeRegistry();
    const relay = new TerminalRelay(registry, silent);
    const behind = client(0);
    const ahead = client(5000);
    await relay.join('w', 'tenant', 't1', behind.c);
    await relay.join('w', 'tenant', 't1', ahead.c);
    relay.onSnapshot('w', 't1', 4000, 'SCREEN');
    expect(behind.control.at(-1)).toEqual({ type: 'snapshot', offset: 4000, data: 'SCREEN' });
    expect(behind.c.pos).toBe(4000);
    expect(ahead.control.some((m) => m.type === 'snapshot')).toBe(false);
  });

  it('tells clients to wait when the worker is offline and reattaches when it is back', async () => {
    const { registry, opens } = fakeRegistry(false);
    const relay = new TerminalRelay(registry, silent);
    const a = client(10);
    await relay.join('w', 'tenant', 't1', a.c);
    expect(a.control.at(-1)).toMatchObject({ type: 'waiting' });
    expect(opens).toHaveLength(0);
    (registry as unknown as { isOnline: () => boolean }).isOnline = () => true;
    relay.onWorkerBack('w');
    await new Promise((r) => setImmediate(r));
    expect(opens).toEqual([{ terminalId: 't1', fromOffset: 10 }]);
    expect(a.control.at(-1)).toMatchObject({ type: 'attached', offset: 10 });
  });

  it("moves clients to the new stream when the worker's offsets began again (re-adopted terminal)", async () => {
    const { registry } = fakeRegistry(true, 100);
    const relay = new TerminalRelay(registry, silent);
    const a = client(5000);
    await relay.join('w', 'tenant', 't1', a.c);
    expect(a.control).toContainEqual({ type: 'resync', offset: 100 });
    expect(a.c.pos).toBe(100);
    relay.onOutput('w', 't1', 100, buf(100, 110));
    expect(a.bytes).toEqual([...buf(100, 110)]);
  });
});
