import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIENCE_NODE_MANAGEMENT, AUDIENCE_WORKSPACE_TERMINAL, JwtVerifier, type TokenIssuer } from '@bosun/auth';
import { silentLogger } from '@bosun/logger';
import { decodeTerminalFrame, encodeTerminalInputFrame } from '@bosun/protocol';
import { PtyManager } from '@bosun/pty-manager';
import { createTerminalStack, TerminalService, type TerminalStack } from '@bosun/terminal-service';
import { manualClock } from '@bosun/util';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestControlPlane } from './control-plane.test-util.js';
import { buildNodeAgentServer } from './server.js';
import { terminalMultiSocket } from './terminal-multi-socket.js';
import { loadOrCreateTls, type TlsMaterial } from './tls.js';

const NODE = 'node-1';
let jwks: { close(): void };
let issuer: TokenIssuer;
let stack: TerminalStack;
let server: FastifyInstance;
let base: string;
let tls: TlsMaterial;
let verifier: JwtVerifier;
// A second agent whose terminals keep only 1 KiB of output, so an old offset leaves the ring.
let smallRing: { manager: PtyManager; service: TerminalService; server: FastifyInstance; base: string };
// The plugin alone, on plain HTTP, with a manual clock and small caps.
const clock = manualClock(1_000_000);
let bare: { app: FastifyInstance; service: TerminalService; manager: PtyManager; url: string };

beforeAll(async () => {
  const cp = await startTestControlPlane();
  jwks = cp;
  const controlPlaneUrl = cp.url;
  issuer = cp.issuer;
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-node-agent-multi-'));
  tls = await loadOrCreateTls({ dataDir });
  stack = await createTerminalStack({ dataDir, dockerHost: `unix://${join(dataDir, 'no-engine.sock')}`, env: { PATH: process.env.PATH }, logger: silentLogger });
  verifier = new JwtVerifier({ controlPlaneUrl, nodeId: NODE });
  const common = { tls, nodeId: NODE, verifier, driver: stack.driver, logger: silentLogger, version: '9.9.9', terminalLimits: { maxMessageBytes: 4096 } };
  server = await buildNodeAgentServer({ ...common, terminals: stack.service });
  base = (await server.listen({ host: '127.0.0.1', port: 0 })).replace('http://', 'wss://');

  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dataDir };
  const manager = new PtyManager({ baseEnv: env, ringBufferBytes: 1024, idleGraceMs: 0, closeGraceMs: 500 });
  const service = new TerminalService({ manager, driver: stack.driver, allowHostShell: true });
  const small = await buildNodeAgentServer({ ...common, terminals: service });
  smallRing = { manager, service, server: small, base: (await small.listen({ host: '127.0.0.1', port: 0 })).replace('http://', 'wss://') };

  const bareManager = new PtyManager({ baseEnv: env, idleGraceMs: 0, closeGraceMs: 500 });
  const bareService = new TerminalService({ manager: bareManager, driver: stack.driver, allowHostShell: true });
  const app = Fastify({ logger: false });
  await app.register(fastifyWebsocket);
  await app.register(terminalMultiSocket, {
    terminals: bareService,
    driver: stack.driver,
    logger: silentLogger,
    workspaceOf: () => 'ws-bare',
    maxSessions: 2,
    maxMessagesPerSec: 10,
    pingIntervalMs: 30_000,
    clock,
  });
  bare = { app, service: bareService, manager: bareManager, url: (await app.listen({ host: '127.0.0.1', port: 0 })).replace('http://', 'ws://') };
});

afterAll(async () => {
  await server?.close();
  await smallRing?.server.close();
  await bare?.app.close();
  await smallRing?.manager.shutdown({ killTmux: false });
  await bare?.manager.shutdown({ killTmux: false });
  verifier?.close();
  await stack?.close();
  jwks?.close();
});

const term = async (workspace: string) => (await issuer.mint({ sub: 'user-1', audience: AUDIENCE_WORKSPACE_TERMINAL, workspace })).token;

type Json = Record<string, unknown>;
interface Chunk {
  offset: number;
  data: Buffer;
}

/** A viewer on /terminal/ws/multi collecting JSON frames and, per session id, the output frames. */
function multi(url: string, opts: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, { ca: tls.cert, ...opts });
  const frames: Json[] = [];
  const chunks = new Map<string, Chunk[]>();
  const badFrames: string[] = [];
  // Arrival order across JSON and binary frames: `<type> <sessionId>` or `output <sessionId>`.
  const order: string[] = [];
  ws.on('message', (d, isBinary) => {
    if (!isBinary) {
      const m = JSON.parse(d.toString()) as Json;
      order.push(`${String(m['type'])} ${String(m['sessionId'])}`);
      return void frames.push(m);
    }
    const f = decodeTerminalFrame(d as Buffer, { protocol: 'node-agent' });
    if (!f.ok || f.frame.kind !== 'output') return void badFrames.push(f.ok ? f.frame.kind : f.error.message);
    order.push(`output ${f.frame.terminalId}`);
    const list = chunks.get(f.frame.terminalId) ?? [];
    list.push({ offset: f.frame.offset, data: Buffer.from(f.frame.data) });
    chunks.set(f.frame.terminalId, list);
  });
  const opened = new Promise<void>((r) => ws.on('open', () => r()));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  const refused = new Promise<number>((r) => ws.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0)));
  // Sent once open, in call order (listeners run in the order they were added).
  const send = (data: string | Uint8Array) => (ws.readyState === WebSocket.CONNECTING ? ws.once('open', () => ws.send(data)) : ws.send(data));
  const json = (m: Json) => send(JSON.stringify({ v: 1, ...m }));
  const input = (sessionId: string, text: string) => send(encodeTerminalInputFrame({ terminalId: sessionId, data: Buffer.from(text) }, { protocol: 'node-agent' }));
  const text = (sessionId: string) => Buffer.concat((chunks.get(sessionId) ?? []).map((c) => c.data)).toString('latin1');
  const frame = (pred: (f: Json) => boolean, what: string) => until(() => frames.find(pred), what);
  return { ws, frames, chunks, badFrames, order, opened, closed, refused, json, input, text, frame };
}

const multiUrl = async (workspace: string, baseUrl = base) => `${baseUrl}/terminal/ws/multi?token=${encodeURIComponent(await term(workspace))}`;

async function until<T>(fn: () => T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 1500; i++) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

/** Each frame starts where the one before ended: no gap, no duplicate. */
function expectContiguous(chunks: Chunk[], from: number): number {
  let at = from;
  for (const c of chunks) {
    expect(c.offset).toBe(at);
    at += c.data.length;
  }
  return at;
}

/** Every byte the service still holds for `sessionId`, from offset 0 (the ring is 1 MiB here). */
function held(service: TerminalService, workspace: string, sessionId: string): Buffer {
  const parts: Buffer[] = [];
  const { handle } = service.attach({ tenant: workspace }, sessionId, { fromOffset: 0, onMessage: (m) => void (m.type === 'data' && parts.push(m.data)) });
  handle.detach();
  return Buffer.concat(parts);
}

describe('terminalMultiSocket', () => {
  it('serves two terminals over one socket, each output tagged with its own session id and nothing crossing, when both are created, typed into, resized, renamed and one closed', async () => {
    const v = multi(await multiUrl('ws-multi'));
    v.json({ type: 'create', id: 'c1', name: 'left', cols: 90, rows: 20 });
    v.json({ type: 'create', id: 'c2' });
    const one = await v.frame((f) => f['type'] === 'created' && f['id'] === 'c1', 'created c1');
    const two = await v.frame((f) => f['type'] === 'created' && f['id'] === 'c2', 'created c2');
    expect(one).toMatchObject({ offset: 0, name: 'left' });
    expect(v.order.indexOf(`created ${String(one['sessionId'])}`)).toBe(v.order.findIndex((e) => e.endsWith(String(one['sessionId']))));
    const s1 = one['sessionId'] as string;
    const s2 = two['sessionId'] as string;
    expect(s1).not.toBe(s2);
    expect(stack.service.get({ tenant: 'ws-multi' }, s1)).toMatchObject({ cols: 90, rows: 20 });

    v.input(s1, 'echo alpha-$((20+1))\n');
    v.input(s2, 'echo beta-$((30+2))\n');
    await until(() => v.text(s1).includes('alpha-21'), 'alpha in s1');
    await until(() => v.text(s2).includes('beta-32'), 'beta in s2');
    expect(v.text(s1)).not.toMatch(/beta/);
    expect(v.text(s2)).not.toMatch(/alpha/);
    expect(v.badFrames).toEqual([]);
    // Each session's frames are its own stream, from offset 0, byte for byte what the service holds.
    for (const s of [s1, s2]) {
      const end = expectContiguous(v.chunks.get(s) ?? [], 0);
      expect(held(stack.service, 'ws-multi', s).subarray(0, end).equals(Buffer.concat((v.chunks.get(s) ?? []).map((c) => c.data)))).toBe(true);
    }

    v.json({ type: 'resize', sessionId: s2, cols: 120, rows: 33 });
    await until(() => stack.service.get({ tenant: 'ws-multi' }, s2).cols === 120, 'resized');
    expect(stack.service.get({ tenant: 'ws-multi' }, s2).rows).toBe(33);
    expect(stack.service.get({ tenant: 'ws-multi' }, s1)).toMatchObject({ cols: 90, rows: 20 });

    v.json({ type: 'rename', id: 'r1', sessionId: s2, name: 'right' });
    expect(await v.frame((f) => f['type'] === 'renamed', 'renamed')).toMatchObject({ id: 'r1', sessionId: s2, name: 'right' });

    v.json({ type: 'close', id: 'x1', sessionId: s1 });
    await v.frame((f) => f['type'] === 'closed', 'closed');
    const exitAt = v.frames.findIndex((f) => f['type'] === 'exit' && f['sessionId'] === s1);
    const closedAt = v.frames.findIndex((f) => f['type'] === 'closed' && f['sessionId'] === s1 && f['id'] === 'x1');
    expect(exitAt).toBeGreaterThanOrEqual(0);
    expect(exitAt).toBeLessThan(closedAt);

    v.json({ type: 'list' });
    const tabs = await v.frame((f) => f['type'] === 'tabs', 'tabs');
    expect(tabs['tabs']).toEqual([expect.objectContaining({ id: s2, name: 'right', cols: 120, rows: 33, alive: true })]);
    // Input to the closed session is refused; the other session still answers.
    v.input(s1, 'echo gone\n');
    expect(await v.frame((f) => f['type'] === 'error', 'error for the closed session')).toMatchObject({ code: 'not_found' });
    v.input(s2, 'echo still-$((1+2))\n');
    await until(() => v.text(s2).includes('still-3'), 's2 alive');
    v.ws.close();
    await v.closed;
  });

  it('replays exactly the bytes after the offset, with no duplicate, when a new socket reattaches at an offset still held', async () => {
    const a = multi(await multiUrl('ws-re'));
    a.json({ type: 'create', id: 'c' });
    const sessionId = (await a.frame((f) => f['type'] === 'created', 'created'))['sessionId'] as string;
    a.input(sessionId, 'echo one-$((40+2))\n');
    await until(() => a.text(sessionId).includes('one-42'), 'first output');
    const seen = expectContiguous(a.chunks.get(sessionId) ?? [], 0);
    a.ws.close();
    await a.closed;
    // Output made while nobody watches is kept for the next viewer.
    stack.service.input({ tenant: 'ws-re' }, sessionId, 'echo two-$((40+3))\n');

    const b = multi(await multiUrl('ws-re'));
    b.json({ type: 'attach', id: 'a1', sessionId, fromOffset: seen });
    expect(await b.frame((f) => f['type'] === 'attached', 'attached')).toMatchObject({ id: 'a1', sessionId, offset: seen, snapshot: false });
    await until(() => b.text(sessionId).includes('two-43'), 'replayed output');
    const end = expectContiguous(b.chunks.get(sessionId) ?? [], seen);
    expect(b.order.indexOf(`attached ${sessionId}`)).toBeLessThan(b.order.indexOf(`output ${sessionId}`));
    expect(b.text(sessionId)).not.toContain('one-42');
    expect(held(stack.service, 'ws-re', sessionId).subarray(seen, end).equals(Buffer.from(b.text(sessionId), 'latin1'))).toBe(true);
    b.ws.close();
    await b.closed;
  });

  it('sends the screen as the first output frame at the attached offset when the asked offset has left the ring', async () => {
    const a = multi(await multiUrl('ws-snap', smallRing.base));
    a.json({ type: 'create', id: 'c' });
    const sessionId = (await a.frame((f) => f['type'] === 'created', 'created'))['sessionId'] as string;
    a.input(sessionId, 'i=0; while [ $i -lt 60 ]; do echo filler-$i-abcdefghijklmnopqrstuvwxyz; i=$((i+1)); done; echo done-$((6*7))\n');
    await until(() => a.text(sessionId).includes('done-42'), 'long output');
    a.ws.close();
    await a.closed;
    expect(smallRing.service.get({ tenant: 'ws-snap' }, sessionId).offset).toBeGreaterThan(1024);

    const b = multi(await multiUrl('ws-snap', smallRing.base));
    b.json({ type: 'attach', sessionId, fromOffset: 0 });
    const attached = await b.frame((f) => f['type'] === 'attached', 'attached');
    expect(attached).toMatchObject({ sessionId, snapshot: true });
    const at = attached['offset'] as number;
    expect(at).toBeGreaterThan(1024);
    const first = await until(() => b.chunks.get(sessionId)?.[0], 'snapshot frame');
    expect(first.offset).toBe(at);
    expect(b.order.indexOf(`attached ${sessionId}`)).toBeLessThan(b.order.indexOf(`output ${sessionId}`));
    expect(first.data.toString('latin1')).toContain('done-42');
    // Live output follows from the same offset.
    b.input(sessionId, 'echo after-$((5+5))\n');
    await until(() => b.text(sessionId).includes('after-10'), 'live output');
    expectContiguous((b.chunks.get(sessionId) ?? []).slice(1), at);
    b.ws.close();
    await b.closed;
  });
});

describe('terminalMultiSocket when the viewer is hostile', () => {
  it('refuses the upgrade with 401 and opens nothing when the token is missing or for the management API', async () => {
    const before = stack.service.list({ tenant: 'ws-a' }).length;
    expect(await multi(`${base}/terminal/ws/multi`).refused).toBe(401);
    const mgmt = (await issuer.mint({ sub: 'user-1', audience: AUDIENCE_NODE_MANAGEMENT, node: NODE, workspace: 'ws-a' })).token;
    expect(await multi(`${base}/terminal/ws/multi?token=${mgmt}`).refused).toBe(401);
    expect(await multi(`${base}/terminal/ws/multi`, { headers: { authorization: `Bearer ${mgmt}` } }).refused).toBe(401);
    expect(stack.service.list({ tenant: 'ws-a' })).toHaveLength(before);
  });

  it('answers input for a session of its workspace that this socket did not attach with not_found and writes nothing', async () => {
    const owner = { tenant: 'ws-h' };
    const t = await stack.service.open(owner, { cmd: ['/bin/sh'] });
    let seen = '';
    stack.service.attach(owner, t.terminalId, { fromOffset: 0, onMessage: (m) => void (m.type === 'data' && (seen += m.data.toString('latin1'))) });
    const v = multi(await multiUrl('ws-h'));
    await v.opened;
    v.input(t.terminalId, 'echo pwned-$((1+1))\n');
    expect(await v.frame((f) => f['type'] === 'error', 'error')).toMatchObject({ code: 'not_found' });
    // The PTY is first in, first out: had the input gone in, its output would precede this one's.
    stack.service.input(owner, t.terminalId, 'echo fine-$((2+2))\n');
    await until(() => seen.includes('fine-4'), 'sentinel');
    expect(seen).not.toContain('pwned');
    expect(v.ws.readyState).toBe(WebSocket.OPEN);
    v.ws.close();
    await v.closed;
  });

  it('answers not_found for another workspace\'s session on every request, never sends its output, and leaves it untouched', async () => {
    const other = { tenant: 'ws-owner' };
    const t = await stack.service.open(other, { cmd: ['/bin/sh', '-c', 'echo secret-of-owner; exec cat'], name: 'theirs' });
    const v = multi(await multiUrl('ws-intruder'));
    await v.opened;
    v.json({ type: 'attach', id: 'q1', sessionId: t.terminalId, fromOffset: 0 });
    v.json({ type: 'close', id: 'q2', sessionId: t.terminalId, signal: 'SIGKILL' });
    v.json({ type: 'rename', id: 'q3', sessionId: t.terminalId, name: 'mine' });
    v.json({ type: 'resize', sessionId: t.terminalId, cols: 10, rows: 10 });
    v.json({ type: 'detach', sessionId: t.terminalId });
    v.input(t.terminalId, 'x');
    const errors = await until(() => (v.frames.filter((f) => f['type'] === 'error').length >= 6 ? v.frames.filter((f) => f['type'] === 'error') : undefined), 'six errors');
    expect(errors.map((e) => e['code'])).toEqual(Array(6).fill('not_found'));
    expect(errors.filter((e) => e['id']).map((e) => e['id']).sort()).toEqual(['q1', 'q2', 'q3']);
    // The same answer as for an id that never existed.
    v.json({ type: 'attach', id: 'q4', sessionId: 't0000000000000000' });
    const missing = await v.frame((f) => f['id'] === 'q4', 'missing');
    expect(missing['message']).toBe(String(errors.find((e) => e['id'] === 'q1')?.['message']).replace(t.terminalId, 't0000000000000000'));
    v.json({ type: 'list' });
    expect((await v.frame((f) => f['type'] === 'tabs', 'tabs'))['tabs']).toEqual([]);
    expect(v.chunks.size).toBe(0);
    expect(stack.service.get(other, t.terminalId)).toMatchObject({ status: 'alive', name: 'theirs', cols: 80 });
    v.ws.close();
    await v.closed;
  });

  it('answers malformed frames with typed errors and keeps the socket when they are bad binary, bad JSON, unknown types or a resize without a session', async () => {
    const v = multi(await multiUrl('ws-bad'));
    await v.opened;
    v.ws.send(Buffer.from([9, 1, 0x61]), { binary: true });
    v.ws.send(Buffer.from([2, 200, 0x61]), { binary: true });
    v.ws.send(Buffer.from([1, 1, 0x61, 0, 0, 0, 0, 0, 0, 0, 0]), { binary: true }); // an output frame from a viewer
    v.ws.send('{not json');
    v.json({ type: 'launch-missiles' });
    v.json({ type: 'resize', cols: 80, rows: 24 });
    v.json({ type: 'create', id: 'big', cols: 5000 });
    const codes = await until(() => {
      const e = v.frames.filter((f) => f['type'] === 'error');
      return e.length >= 7 ? e.map((f) => f['code']) : undefined;
    }, 'seven errors');
    expect(codes).toEqual(['invalid_frame', 'invalid_frame', 'invalid_frame', 'invalid_json', 'unknown_type', 'invalid_field', 'invalid_field']);
    expect(v.frames.find((f) => f['id'] === 'big')).toMatchObject({ code: 'invalid_field', details: expect.objectContaining({ path: ['cols'] }) });
    v.json({ type: 'list' });
    await v.frame((f) => f['type'] === 'tabs', 'tabs after the errors');
    expect(stack.service.list({ tenant: 'ws-bad' })).toEqual([]);
    v.ws.close();
    await v.closed;
  });

  it('closes with 1009 when a message is over the limit, and the session lives on', async () => {
    const v = multi(await multiUrl('ws-big'));
    v.json({ type: 'create' });
    const sessionId = (await v.frame((f) => f['type'] === 'created', 'created'))['sessionId'] as string;
    v.input(sessionId, 'x'.repeat(8192));
    expect((await v.closed).code).toBe(1009);
    expect(stack.service.get({ tenant: 'ws-big' }, sessionId).status).toBe('alive');
  });

  it('closes with 1008 when the viewer sends more messages than the rate allows', async () => {
    // The bare plugin: 10 messages/s, bursts of 20, and a clock that does not move.
    const v = multi(`${bare.url}/terminal/ws/multi`);
    await v.opened;
    for (let i = 0; i < 25; i++) v.json({ type: 'list' });
    expect((await v.closed).code).toBe(1008);
    expect(v.frames.filter((f) => f['type'] === 'tabs').length).toBe(20);
  });

  it('answers busy and opens nothing more when a socket asks for more sessions than its cap', async () => {
    const v = multi(`${bare.url}/terminal/ws/multi`);
    await v.opened;
    const other = await bare.service.open({ tenant: 'ws-bare' }, { cmd: ['/bin/cat'] });
    v.json({ type: 'create', id: 'c1' });
    v.json({ type: 'create', id: 'c2' });
    await v.frame((f) => f['id'] === 'c2' && f['type'] === 'created', 'second created');
    v.json({ type: 'create', id: 'c3' });
    v.json({ type: 'attach', id: 'a3', sessionId: other.terminalId });
    expect(await v.frame((f) => f['id'] === 'c3', 'c3 answer')).toMatchObject({ type: 'error', code: 'busy' });
    expect(await v.frame((f) => f['id'] === 'a3', 'a3 answer')).toMatchObject({ type: 'error', code: 'busy' });
    expect(bare.service.list({ tenant: 'ws-bare' })).toHaveLength(3);
    // Detaching one frees a slot.
    v.json({ type: 'detach', sessionId: (v.frames.find((f) => f['id'] === 'c1') as Json)['sessionId'] });
    v.json({ type: 'attach', id: 'a4', sessionId: other.terminalId });
    expect(await v.frame((f) => f['id'] === 'a4', 'a4 answer')).toMatchObject({ type: 'attached', sessionId: other.terminalId });
    v.ws.close();
    await v.closed;
  });

  it('closes with 1001 when the viewer answers no ping for a whole interval', async () => {
    const v = multi(`${bare.url}/terminal/ws/multi`, { autoPong: false });
    await v.opened;
    let pinged = false;
    v.ws.on('ping', () => (pinged = true));
    clock.advance(30_000);
    await until(() => pinged, 'ping');
    clock.advance(30_000);
    expect((await v.closed).code).toBe(1001);
  });
});
