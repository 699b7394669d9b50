import { describe, expect, it } from 'vitest';
import { TerminalClient, type ClientTimers, type ConnectTarget, type SocketLike, type TerminalClientStatus } from './terminal-client.js';

/** A socket the test drives: it records what the client sends and the test plays the hub. */
class FakeSocket implements SocketLike {
  binaryType = 'blob';
  readyState = 1;
  sent: (string | Uint8Array)[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly target: ConnectTarget) {}
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  /** The hub sends a control frame. */
  control(msg: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify({ v: 1, ...msg }) });
  }
  /** The hub sends output bytes (as an ArrayBuffer, as a browser delivers them). */
  output(text: string): void {
    const b = new TextEncoder().encode(text);
    this.onmessage?.({ data: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) });
  }
  /** The socket closes from the far side. */
  drop(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** Timers under the test's control: `advance(ms)` runs what falls due. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: ClientTimers = {
    setTimeout: (fn, ms) => {
      seq += 1;
      due.set(seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void due.delete(h as number),
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...due.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      due.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = end;
  };
  return { timers, advance, pending: () => due.size, now: () => now };
}

function setup(opts: { terminalId?: string; offset?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const t = fakeTimers();
  const client = new TerminalClient({
    connect: (target) => {
      const s = new FakeSocket(target);
      sockets.push(s);
      return s;
    },
    timers: t.timers,
    random: () => 0,
    backoff: { initialMs: 100, maxMs: 1600, factor: 2 },
    stableMs: 5000,
    ...opts,
  });
  const states: TerminalClientStatus[] = [];
  const screen: string[] = [];
  const dec = new TextDecoder();
  client.on('state', (s) => states.push(s));
  client.on('data', ({ bytes }) => screen.push(dec.decode(bytes)));
  client.on('snapshot', ({ data }) => {
    screen.length = 0;
    screen.push(data);
  });
  client.start();
  const last = () => sockets[sockets.length - 1] as FakeSocket;
  return { client, sockets, last, states, screen, ...t };
}

describe('TerminalClient', () => {
  it('reconnects at the offset of the last byte received when the socket drops', () => {
    const { client, sockets, last, screen, advance } = setup();
    expect(last().target).toEqual({ terminalId: undefined, offset: 0 });
    last().control({ type: 'terminal', terminalId: 't1', offset: 0 });
    last().control({ type: 'attached', terminalId: 't1', offset: 0 });
    last().output('$ ls\r\n');
    last().output('bin etc\r\n');
    expect(client.offset).toBe(15);
    last().drop(1006);
    expect(client.state).toBe('reconnecting');
    advance(100);
    expect(sockets).toHaveLength(2);
    expect(last().target).toEqual({ terminalId: 't1', offset: 15 });
    // The hub echoes the offset asked for; output continues from it, without duplicates.
    last().control({ type: 'terminal', terminalId: 't1', offset: 15 });
    last().control({ type: 'attached', terminalId: 't1', offset: 15 });
    last().output('$ ');
    expect(client.offset).toBe(17);
    expect(screen.join('')).toBe('$ ls\r\nbin etc\r\n$ ');
  });

  it('resumes at the given terminal and offset, not at the hub default, when started with them', () => {
    const { client, last } = setup({ terminalId: 't9', offset: 4096 });
    expect(last().target).toEqual({ terminalId: 't9', offset: 4096 });
    last().control({ type: 'terminal', terminalId: 't9', offset: 4096 });
    expect(client.offset).toBe(4096);
  });

  it('resets the screen and moves to the snapshot offset when the hub sends a snapshot', () => {
    const { client, last, screen } = setup({ terminalId: 't1', offset: 10 });
    last().control({ type: 'terminal', terminalId: 't1', offset: 10 });
    last().control({ type: 'attached', terminalId: 't1', offset: 10 });
    last().output('old');
    last().control({ type: 'snapshot', offset: 2_000_000, data: '\u001b[H\u001b[2J$ ' });
    expect(client.offset).toBe(2_000_000);
    last().output('x');
    expect(client.offset).toBe(2_000_001);
    expect(screen).toEqual(['\u001b[H\u001b[2J$ ', 'x']);
  });

  it('moves back to the resync offset when the worker stream began again', () => {
    const { client, last } = setup({ terminalId: 't1', offset: 500 });
    last().control({ type: 'attached', terminalId: 't1', offset: 500 });
    last().control({ type: 'resync', offset: 20, reason: 're-adopted' });
    expect(client.offset).toBe(20);
  });

  it('refuses input and never reconnects when the terminal exited', () => {
    const { client, sockets, last, states, advance, pending } = setup();
    last().control({ type: 'terminal', terminalId: 't1', offset: 0 });
    last().control({ type: 'attached', terminalId: 't1', offset: 0 });
    expect(client.write('ls\r')).toBe(true);
    last().control({ type: 'exit', exitCode: null, signal: 'SIGKILL' });
    expect(client.state).toBe('ended');
    expect(states.at(-1)).toMatchObject({ state: 'ended', exitCode: null, signal: 'SIGKILL' });
    const s = last();
    expect(s.closedWith?.code).toBe(1000);
    expect(client.write('more\r')).toBe(false);
    s.drop(1000);
    advance(60_000);
    expect(sockets).toHaveLength(1);
    expect(pending()).toBe(0);
    expect(s.sent).toHaveLength(1);
  });

  it('refuses input before attached and while waiting for the worker', () => {
    const { client, last } = setup();
    last().control({ type: 'terminal', terminalId: 't1', offset: 0 });
    expect(client.write('early')).toBe(false);
    last().control({ type: 'attached', terminalId: 't1', offset: 0 });
    last().control({ type: 'waiting', reason: 'worker disconnected' });
    expect(client.state).toBe('waiting');
    expect(client.write('lost')).toBe(false);
    expect(last().sent).toEqual([]);
  });

  it.each([
    [4001, 'revoked'],
    [4004, 'attach refused'],
    [1008, 'bad request'],
  ])('stops reconnecting when the hub closes with %i', (code, reason) => {
    const { client, sockets, last, advance, pending } = setup({ terminalId: 't1', offset: 3 });
    last().control({ type: 'error', code: 'not_found', message: 'no terminal t1' });
    last().drop(code, reason);
    expect(client.status).toMatchObject({ state: 'refused', closeCode: code, reason });
    advance(600_000);
    expect(sockets).toHaveLength(1);
    expect(pending()).toBe(0);
  });

  it('reconnects at the offset named by dropped when the hub drops a slow viewer', () => {
    const { sockets, last, advance } = setup({ terminalId: 't1', offset: 0 });
    last().control({ type: 'attached', terminalId: 't1', offset: 0 });
    last().output('abc');
    last().control({ type: 'dropped', code: 'slow_consumer', offset: 3, message: 'behind' });
    last().drop(4008, 'slow viewer');
    advance(100);
    expect(sockets).toHaveLength(2);
    expect(last().target).toEqual({ terminalId: 't1', offset: 3 });
  });

  it('bounds a reconnect storm with a growing backoff when every connection attaches and drops at once', () => {
    const { sockets, last, advance, states } = setup({ terminalId: 't1', offset: 0 });
    // A hub that accepts, attaches and closes straight away: attaching alone does not reset the backoff.
    for (let i = 0; i < 40; i += 1) {
      last().control({ type: 'attached', terminalId: 't1', offset: 0 });
      last().drop(1006);
      advance(1600);
    }
    const delays = states.filter((s) => s.state === 'reconnecting').map((s) => s.retryInMs);
    expect(delays.slice(0, 6)).toEqual([100, 200, 400, 800, 1600, 1600]);
    expect(Math.max(...(delays as number[]))).toBe(1600);
    // 40 drops over 40 × 1.6 s of fake time: one connection per drop, never more.
    expect(sockets).toHaveLength(41);
  });

  it('starts the backoff again from the first delay when a connection stayed attached for stableMs', () => {
    const { last, advance, states } = setup({ terminalId: 't1', offset: 0 });
    for (let i = 0; i < 3; i += 1) {
      last().drop(1006);
      advance(1600);
    }
    last().control({ type: 'attached', terminalId: 't1', offset: 0 });
    advance(5000);
    last().drop(1006);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', retryInMs: 100 });
  });

  it('sends the size after attach when resized before it, and nothing after close', () => {
    const { client, last, advance, sockets } = setup();
    client.resize(120, 40);
    expect(last().sent).toEqual([]);
    last().control({ type: 'terminal', terminalId: 't1', offset: 0 });
    last().control({ type: 'attached', terminalId: 't1', offset: 0 });
    expect(JSON.parse(last().sent[0] as string)).toEqual({ v: 1, type: 'resize', cols: 120, rows: 40 });
    client.close();
    expect(client.state).toBe('closed');
    last().drop(1000);
    advance(60_000);
    expect(sockets).toHaveLength(1);
  });

  it('reports a malformed hub frame as an error and keeps its offset when the frame fails the schema', () => {
    const { client, last } = setup({ terminalId: 't1', offset: 7 });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    last().control({ type: 'attached', terminalId: 't1' });
    last().control({ type: 'snapshot', offset: -5, data: 'x' });
    last().onmessage?.({ data: '{"v":1,"type":"attached"' });
    expect(errors).toHaveLength(3);
    expect(client.offset).toBe(7);
    expect(client.state).toBe('connecting');
  });

  it('stops for good when the first open fails with 1011 before the hub named a terminal', () => {
    const { client, sockets, last, advance } = setup();
    last().drop(1011, 'open failed');
    expect(client.state).toBe('refused');
    advance(60_000);
    expect(sockets).toHaveLength(1);
  });
});
