import { silentLogger } from '@bosun/logger';
import type { HubToViewerBody } from '@bosun/protocol';
import { describe, expect, it } from 'vitest';
import { TerminalRelay, type RelayClient } from './terminal-relay.js';
import type { RequestHooks, WorkerRegistry } from './worker-registry.js';

interface OpenCmd {
  type: string;
  id: string;
  tenant: string;
  terminalId?: string;
  fromOffset?: number;
}

/** A registry stand-in that records terminal.open requests and answers them (synchronously through onReply, like the real one). */
function fakeRegistry(opts: { online?: boolean; streamEnd?: number; owner?: string; manual?: boolean; ringStart?: number } = {}) {
  const opens: { tenant: string; terminalId?: string; fromOffset?: number }[] = [];
  const held: (() => void)[] = [];
  const state = { online: opts.online ?? true };
  const registry = {
    relay: undefined,
    isOnline: () => state.online,
    nextId: () => `r${opens.length}`,
    request: (_w: string, cmd: OpenCmd, hooks: RequestHooks = {}) => {
      opens.push({ tenant: cmd.tenant, terminalId: cmd.terminalId, fromOffset: cmd.fromOffset });
      const reply =
        opts.owner !== undefined && cmd.tenant !== opts.owner
          ? { v: 1, type: 'error' as const, id: cmd.id, code: 'not_found', message: 'terminal not found' }
          : {
              v: 1,
              type: 'terminal.open.result' as const,
              id: cmd.id,
              terminalId: cmd.terminalId!,
              // Past the ring's start the worker replays from the offset asked; before it, it sends the screen at the end.
              offset: (cmd.fromOffset ?? 0) < (opts.ringStart ?? 0) ? (opts.streamEnd ?? 0) : Math.min(cmd.fromOffset ?? 0, opts.streamEnd ?? Infinity),
            };
      return new Promise((resolve) => {
        const answer = () => {
          hooks.onReply?.(reply as never);
          resolve(reply);
        };
        if (opts.manual) held.push(answer);
        else queueMicrotask(answer);
      });
    },
  };
  return { registry: registry as unknown as WorkerRegistry, opens, state, answerNext: () => held.shift()?.() };
}

function client(pos: number) {
  const bytes: number[] = [];
  const control: HubToViewerBody[] = [];
  const refused: string[] = [];
  const c: RelayClient = {
    pos,
    attached: false,
    sendBytes: (d) => bytes.push(...d),
    sendControl: (m) => control.push(m),
    refuse: (code) => refused.push(code),
    revoked: () => refused.push('revoked'),
  };
  return { c, bytes, control, refused };
}

const buf = (from: number, to: number) => Uint8Array.from({ length: to - from }, (_, i) => (from + i) % 256);
const settle = () => new Promise((r) => setImmediate(r));

describe('TerminalRelay', () => {
  it('asks the worker to replay from the lowest offset any client needs when clients join', async () => {
    const { registry, opens } = fakeRegistry();
    const relay = new TerminalRelay(registry, silentLogger);
    await relay.join('w', 'tenant', 't1', client(100).c);
    await relay.join('w', 'tenant', 't1', client(40).c);
    expect(opens.map((o) => o.fromOffset)).toEqual([100, 40]);
  });

  it('gives each client only the bytes past its own offset when replay and live output overlap', async () => {
    const { registry } = fakeRegistry();
    const relay = new TerminalRelay(registry, silentLogger);
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

  it('drops a frame that would leave a gap and reattaches from the lowest offset when no attach is in progress', async () => {
    const { registry, opens } = fakeRegistry();
    const relay = new TerminalRelay(registry, silentLogger);
    const a = client(100);
    await relay.join('w', 'tenant', 't1', a.c);
    relay.onOutput('w', 't1', 150, buf(150, 160)); // e.g. a frame of the worker's previous viewer
    expect(a.bytes).toEqual([]);
    expect(a.c.pos).toBe(100);
    expect(a.control.some((m) => m.type === 'resync')).toBe(false);
    await settle();
    expect(opens.map((o) => o.fromOffset)).toEqual([100, 100]);
    relay.onOutput('w', 't1', 100, buf(100, 160));
    expect(a.bytes).toEqual([...buf(100, 160)]);
  });

  it('drops in-flight frames past the offset without another reattach when an attach is in progress', async () => {
    const { registry, opens, answerNext } = fakeRegistry({ manual: true });
    const relay = new TerminalRelay(registry, silentLogger);
    const a = client(100);
    const joined = relay.join('w', 'tenant', 't1', a.c);
    relay.onOutput('w', 't1', 500, buf(500, 600)); // old viewer's frame, before terminal.open.result
    answerNext();
    await joined;
    relay.onOutput('w', 't1', 100, buf(100, 600)); // the replay
    expect(opens).toHaveLength(1);
    expect(a.bytes).toEqual([...buf(100, 600)]);
    expect(relay.stats.gapsDropped).toBe(0); // not attached yet: nothing counted, nothing sent
  });

  it('sends no output and no attached to a client when its tenant is refused by the worker', async () => {
    const { registry } = fakeRegistry({ owner: 'alice' });
    const relay = new TerminalRelay(registry, silentLogger);
    const alice = client(0);
    await relay.join('w', 'alice', 't1', alice.c);
    const mallory = client(0);
    await relay.join('w', 'mallory', 't1', mallory.c);
    relay.onOutput('w', 't1', 0, buf(0, 10));
    expect(mallory.refused).toEqual(['not_found']);
    expect(mallory.bytes).toEqual([]);
    expect(mallory.control.some((m) => m.type === 'attached')).toBe(false);
    expect(alice.bytes).toEqual([...buf(0, 10)]);
  });

  it('keys fan-outs by tenant when two tenants name the same terminal', async () => {
    const { registry, opens } = fakeRegistry();
    const relay = new TerminalRelay(registry, silentLogger);
    await relay.join('w', 'alice', 't1', client(0).c);
    await relay.join('w', 'bob', 't1', client(0).c);
    expect(relay.size).toBe(2);
    expect(opens.map((o) => o.tenant)).toEqual(['alice', 'bob']);
  });

  it('sends a snapshot only to clients behind it and moves them to its offset when the offset left the buffer', async () => {
    const { registry } = fakeRegistry();
    const relay = new TerminalRelay(registry, silentLogger);
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
    const { registry, opens, state } = fakeRegistry({ online: false });
    const relay = new TerminalRelay(registry, silentLogger);
    const a = client(10);
    await relay.join('w', 'tenant', 't1', a.c);
    expect(a.control.at(-1)).toMatchObject({ type: 'waiting' });
    expect(opens).toHaveLength(0);
    state.online = true;
    relay.onWorkerBack('w');
    await settle();
    expect(opens).toEqual([{ tenant: 'tenant', terminalId: 't1', fromOffset: 10 }]);
    expect(a.control.at(-1)).toMatchObject({ type: 'attached', offset: 10 });
  });

  it("moves clients to the new stream and tells them when the worker's offsets began again", async () => {
    const { registry } = fakeRegistry({ streamEnd: 100 });
    const relay = new TerminalRelay(registry, silentLogger);
    const a = client(5000);
    await relay.join('w', 'tenant', 't1', a.c);
    expect(a.control).toContainEqual(expect.objectContaining({ type: 'resync', offset: 100 }));
    expect(a.c.pos).toBe(100);
    relay.onOutput('w', 't1', 100, buf(100, 110));
    expect(a.bytes).toEqual([...buf(100, 110)]);
  });

  it('closes every viewer of a worker when it is revoked', async () => {
    const { registry } = fakeRegistry();
    const relay = new TerminalRelay(registry, silentLogger);
    const a = client(0);
    await relay.join('w', 'tenant', 't1', a.c);
    relay.onWorkerRevoked('w');
    expect(a.refused).toEqual(['revoked']);
  });
});

describe('TerminalRelay terminals()', () => {
  it('forgets ended terminals first and never holds more than MAX_KNOWN_TERMINALS when viewers flood it with ids', async () => {
    const { registry } = fakeRegistry({ online: false });
    const relay = new TerminalRelay(registry, silentLogger);
    const { MAX_KNOWN_TERMINALS } = await import('./terminal-relay.js');
    const kept = client(0);
    await relay.join('w1', 'acme', 'keep', kept.c);
    relay.onExit('w1', 'keep', 0);
    const live = client(0);
    await relay.join('w1', 'acme', 'live', live.c);
    for (let i = 0; i < MAX_KNOWN_TERMINALS + 50; i += 1) {
      const x = client(0);
      await relay.join('w1', 'flood', `t${i}`, x.c);
      relay.leave(x.c);
    }
    const all = relay.terminals();
    expect(all).toHaveLength(MAX_KNOWN_TERMINALS);
    // The ended one went first; the one a viewer still watches stays.
    expect(all.find((t) => t.terminalId === 'keep')).toBeUndefined();
    expect(all.find((t) => t.terminalId === 'live')).toMatchObject({ tenant: 'acme', state: 'alive', viewers: 1 });
  });
});

describe('TerminalRelay when one client is far behind', () => {
  it('gives the screen only to the client whose offset left the worker ring and replays the others from their own offsets', async () => {
    const { registry, opens, answerNext } = fakeRegistry({ ringStart: 1000, streamEnd: 2000, manual: true });
    const relay = new TerminalRelay(registry, silentLogger);
    const far = client(0);
    const near = client(1500);
    void relay.join('w1', 't', 'term', far.c);
    void relay.join('w1', 't', 'term', near.c);
    // The first attach asks from the lowest offset; the worker answers with the screen at its end…
    answerNext();
    await settle();
    // …which arrives (on the worker link, before any later reply) for the far client only.
    relay.onSnapshot('w1', 'term', 2000, 'SCREEN');
    expect(near.c.attached).toBe(false);
    // The near client is then replayed from its own offset.
    answerNext();
    await settle();
    expect(opens.map((o) => o.fromOffset)).toEqual([0, 1500]);
    relay.onOutput('w1', 'term', 1500, buf(1500, 2100));
    expect(near.control.filter((m) => m.type === 'snapshot')).toEqual([]);
    expect(near.bytes).toEqual([...buf(1500, 2100)]);
    expect(far.control.filter((m) => m.type === 'snapshot')).toEqual([{ type: 'snapshot', offset: 2000, data: 'SCREEN' }]);
    expect(far.bytes).toEqual([...buf(2000, 2100)]);
  });
});
