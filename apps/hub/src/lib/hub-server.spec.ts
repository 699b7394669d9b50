import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '@bosun/logger';
import { MAX_TERMINAL_INPUT_FRAME_BYTES, parseMessage, viewerProtocol, type HubToViewerMessage } from '@bosun/protocol';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeWorker, streamBytes, type FakeWorker } from './fake-worker.test-util.js';
import { createHubServer, type Hub, type HubServerOptions } from './hub-server.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function startHub(extra: Partial<HubServerOptions> = {}) {
  const hub = await createHubServer({ dataDir: mkdtempSync(join(tmpdir(), 'bosun-hub-')), logger: silentLogger, ...extra });
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  open.push({ close: () => hub.app.close() });
  const port = (hub.app.server.address() as { port: number }).port;
  return { hub, port, base: `http://127.0.0.1:${port}` };
}

async function withWorker(h: { hub: Hub; port: number }, opts: { inFlightBytes?: number } = {}): Promise<{ worker: FakeWorker; workerId: string; token: string }> {
  const { workerId, token } = await h.hub.tokens.issue('fake');
  const worker = await startFakeWorker({ url: `ws://127.0.0.1:${h.port}/ws/worker`, token, ...opts });
  open.push({ close: () => worker.ws.terminate() });
  return { worker, workerId, token };
}

interface Viewer {
  ws: WebSocket;
  pos: number;
  control: HubToViewerMessage[];
  chunks: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
}

function viewer(h: { hub: Hub; port: number }, q: Record<string, string>, pos = 0): Promise<Viewer> {
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/ws/terminal?${new URLSearchParams(q)}`, ['bosun.v1', `bearer.${h.hub.adminToken}`]);
  open.push({ close: () => ws.terminate() });
  const v: Viewer = {
    ws,
    pos,
    control: [],
    chunks: [],
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  };
  ws.on('message', (data, isBinary) => {
    const bytes = data as Buffer;
    if (isBinary) {
      v.chunks.push(bytes);
      v.pos += bytes.byteLength;
      return;
    }
    const r = parseMessage(viewerProtocol, bytes, { direction: 'toViewer' });
    if (!r.ok) throw new Error(`hub sent an invalid viewer frame: ${r.error.message}`);
    v.control.push(r.message);
    if (r.message.type === 'snapshot' || r.message.type === 'resync') v.pos = r.message.offset;
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(v));
    ws.once('error', reject);
  });
}

const has = (v: Viewer, type: string) => v.control.find((m) => m.type === type);

describe('hub terminal relay through real sockets', () => {
  it('delivers the exact stream over 1 000 reattach cycles when output flows during every absence', async () => {
    const h = await startHub();
    const { worker, workerId } = await withWorker(h);
    worker.addTerminal('t-reattach', 'acme');
    worker.produce('t-reattach', 10_000);
    const hash = createHash('sha256');
    let pos = 0;
    for (let i = 0; i < 1000; i++) {
      const v = await viewer(h, { worker: workerId, tenant: 'acme', terminal: 't-reattach', offset: String(pos) }, pos);
      const attached = await until('attached', () => has(v, 'attached'));
      expect(attached).toMatchObject({ offset: pos });
      worker.produce('t-reattach', 1000 + ((i * 37) % 3000));
      // Leave at varying points: sometimes with everything, sometimes with output still in flight.
      const target = worker.terminals.get('t-reattach')!.produced - (i % 3) * 700;
      await until('output', () => v.pos >= target);
      v.ws.close();
      await v.closed;
      for (const c of v.chunks) hash.update(c);
      expect(v.control.filter((m) => m.type === 'resync' || m.type === 'snapshot' || m.type === 'error')).toEqual([]);
      pos = v.pos;
      worker.produce('t-reattach', 2000 + ((i * 101) % 30_000)); // while nobody watches
    }
    expect(hash.digest('hex')).toBe(createHash('sha256').update(streamBytes(0, pos)).digest('hex'));
    expect(pos).toBeGreaterThan(1000 * 3000);
  }, 180_000);

  it('sends a snapshot and moves the viewer to its offset when the offset left the ring', async () => {
    const h = await startHub();
    const { worker, workerId } = await withWorker(h);
    worker.addTerminal('t-snap', 'acme');
    worker.produce('t-snap', 2 * 1024 * 1024 + 5);
    const v = await viewer(h, { worker: workerId, tenant: 'acme', terminal: 't-snap', offset: '10' }, 10);
    const snap = await until('snapshot', () => has(v, 'snapshot'));
    expect(snap).toMatchObject({ offset: 2 * 1024 * 1024 + 5, data: `SCREEN@${2 * 1024 * 1024 + 5}` });
    worker.produce('t-snap', 3000);
    await until('live output after the snapshot', () => v.pos >= 2 * 1024 * 1024 + 3005);
    expect(Buffer.concat(v.chunks).equals(streamBytes(2 * 1024 * 1024 + 5, 2 * 1024 * 1024 + 3005))).toBe(true);
  });

  it('delivers a 2 MiB paste intact in frames of at most 64 KiB and keeps the worker link when pasted as one frame', async () => {
    const h = await startHub();
    const { worker, workerId } = await withWorker(h);
    worker.addTerminal('t-paste', 'acme');
    const v = await viewer(h, { worker: workerId, tenant: 'acme', terminal: 't-paste', offset: '0' });
    await until('attached', () => has(v, 'attached'));
    const paste = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < paste.length; i++) paste[i] = (i * 7) & 0xff;
    v.ws.send(paste, { binary: true });
    await until('the whole paste', () => worker.inputs.reduce((n, x) => n + x.bytes, 0) >= paste.length || undefined);
    expect(Buffer.concat(worker.input).equals(paste)).toBe(true);
    expect(Math.max(...worker.inputs.map((x) => x.bytes))).toBeLessThanOrEqual(MAX_TERMINAL_INPUT_FRAME_BYTES);
    expect(worker.ws.readyState).toBe(WebSocket.OPEN);
    expect(h.hub.registry.isOnline(workerId)).toBe(true);
  });

  it("refuses a viewer of another tenant's terminal with the error and a close, and forwards none of its keystrokes", async () => {
    const h = await startHub();
    const { worker, workerId } = await withWorker(h);
    worker.addTerminal('t-alice', 'alice');
    const alice = await viewer(h, { worker: workerId, tenant: 'alice', terminal: 't-alice', offset: '0' });
    await until('alice attached', () => has(alice, 'attached'));
    const mallory = await viewer(h, { worker: workerId, tenant: 'mallory', terminal: 't-alice', offset: '0' });
    mallory.ws.send(Buffer.from('rm -rf /\r'), { binary: true }); // before any attach
    mallory.ws.send(JSON.stringify({ v: 1, type: 'input', data: 'echo pwned\r' }));
    const closed = await mallory.closed;
    expect(closed).toEqual({ code: 4004, reason: 'attach refused' });
    expect(mallory.control.find((m) => m.type === 'error' && m.code === 'not_found')).toBeDefined();
    worker.produce('t-alice', 100);
    await until('alice output', () => alice.pos >= 100);
    expect(mallory.chunks).toEqual([]);
    expect(worker.inputs).toEqual([]);
    expect(h.hub.relay.size).toBe(1);
  });

  it('drops a viewer that stops reading with 4008 slow viewer and keeps its buffered bytes under the bound', async () => {
    const bound = 512 * 1024;
    const h = await startHub({ maxViewerBufferedBytes: bound, closeGraceMs: 60_000 });
    const { worker, workerId } = await withWorker(h);
    worker.addTerminal('t-slow', 'acme');
    // A raw TCP client: upgrade by hand, then stop reading.
    const sock = connect(h.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const q = new URLSearchParams({ worker: workerId, tenant: 'acme', terminal: 't-slow', offset: '0' });
    sock.write(
      `GET /ws/terminal?${q} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Protocol: bosun.v1, bearer.${h.hub.adminToken}\r\n\r\n`,
    );
    let received = Buffer.alloc(0);
    const onData = (c: Buffer) => (received = Buffer.concat([received, c]));
    sock.on('data', onData);
    await until('attached', () => received.includes('"attached"'));
    sock.pause();
    // The hub's side of this viewer: its clients are the worker's socket, then this one.
    const serverSide = () => [...h.hub.app.websocketServer.clients][1];
    let maxBuffered = 0;
    let produced = 0;
    while (serverSide()?.readyState === WebSocket.OPEN) {
      worker.produce('t-slow', 64 * 1024);
      produced += 64 * 1024;
      await new Promise((r) => setImmediate(r));
      maxBuffered = Math.max(maxBuffered, ...[...h.hub.app.websocketServer.clients].map((c) => c.bufferedAmount));
      if (produced > 512 * 1024 * 1024) throw new Error('never dropped');
    }
    expect(maxBuffered).toBeLessThanOrEqual(bound + 1024);
    expect(produced).toBeGreaterThan(bound);
    // Reading again, the viewer finds the notice and the close frame behind its unread output.
    sock.resume();
    const close = await until('close frame', () => {
      const frames = parseFrames(received.subarray(received.indexOf('\r\n\r\n') + 4));
      return frames.find((f) => f.opcode === 8);
    }, 60_000);
    expect(close.payload.readUInt16BE(0)).toBe(4008);
    expect(close.payload.subarray(2).toString()).toBe('slow viewer');
    const frames = parseFrames(received.subarray(received.indexOf('\r\n\r\n') + 4));
    expect(frames.some((f) => f.opcode === 1 && f.payload.toString().includes('"dropped"'))).toBe(true);
    sock.destroy();
    await until('the dropped socket is gone', () => h.hub.app.websocketServer.clients.size === 1);
    expect(h.hub.relay.size).toBe(0);
  }, 120_000);
});

/** Server → client frames (unmasked, payloads < 2^32) of a WebSocket byte stream. */
function parseFrames(b: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 2 <= b.length) {
    const opcode = b[at]! & 0x0f;
    let len = b[at + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      if (at + 4 > b.length) break;
      len = b.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      if (at + 10 > b.length) break;
      len = Number(b.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (at + head + len > b.length) break;
    out.push({ opcode, payload: b.subarray(at + head, at + head + len) });
    at += head + len;
  }
  return out;
}

describe('hub workers', () => {
  it('closes a revoked worker with 4001 revoked, unlists it, answers not_found and refuses its token when revoked live', async () => {
    const h = await startHub();
    const { worker, workerId, token } = await withWorker(h);
    const auth = { authorization: `Bearer ${h.hub.adminToken}` };
    const del = await fetch(`${h.base}/api/workers/${workerId}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(204);
    expect(await worker.closed).toEqual({ code: 4001, reason: 'revoked' });
    const list = (await (await fetch(`${h.base}/api/workers`, { headers: auth })).json()) as { workers: { workerId: string }[] };
    expect(list.workers.map((w) => w.workerId)).not.toContain(workerId);
    const cmd = await fetch(`${h.base}/api/workers/${workerId}/commands`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'images.list' }),
    });
    expect(cmd.status).toBe(404);
    expect(((await cmd.json()) as { error: { code: string } }).error.code).toBe('not_found');
    await expect(startFakeWorker({ url: `ws://127.0.0.1:${h.port}/ws/worker`, token })).rejects.toThrow('HTTP 401');
  });

  it('logs repeated bad messages of one connection once, then once with the count when they flood', async () => {
    const warns: { fields: unknown; msg: string | undefined }[] = [];
    const logger: Logger = { ...silentLogger, warn: (fields, msg) => void warns.push({ fields, msg }) };
    const h = await startHub({ logger });
    const { worker } = await withWorker(h);
    for (let i = 0; i < 200; i++) worker.sendRaw('{not json');
    await until('200 error replies', () => worker.replies.filter((r) => r['code'] === 'invalid_json').length >= 200);
    expect(warns.filter((w) => (w.fields as { code?: string }).code === 'invalid_json' && (w.fields as { repeated?: number }).repeated === undefined)).toHaveLength(1);
    worker.ws.close();
    await until('summary', () => warns.find((w) => (w.fields as { repeated?: number }).repeated === 199));
  });

  it('keeps answering GET /api/workers with 200 when a worker registers nested capabilities', async () => {
    const h = await startHub();
    const { workerId, token } = await h.hub.tokens.issue('deep');
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/ws/worker`, ['bosun.v1'], { headers: { authorization: `Bearer ${token}` } });
    open.push({ close: () => ws.terminate() });
    const replies: Record<string, unknown>[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await new Promise((r) => ws.once('open', r));
    // Built as text: a hostile peer does not need a stack deep enough to stringify it.
    const nest = (n: number) => `${'{"deeper":'.repeat(n)}true${'}'.repeat(n)}`;
    const register = (x: string, id: string) =>
      JSON.stringify({ v: 1, type: 'worker.register', id, name: 'deep', hostname: 'h', platform: 'linux', cpuCount: 1, memoryTotal: 1, containerEngines: [], agentVersion: '0', mode: 'byom', capabilities: { tools: [], x: 'X' } }).replace('"X"', x);
    ws.send(register(nest(100_000), 'r1'));
    ws.send(register(nest(4), 'r2'));
    await until('two replies', () => replies.length >= 2);
    expect(replies[0]).toMatchObject({ type: 'error', code: 'too_deep' });
    expect(replies[1]).toMatchObject({ type: 'worker.registered' });
    const res = await fetch(`${h.base}/api/workers`, { headers: { authorization: `Bearer ${h.hub.adminToken}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { workers: { workerId: string; online: boolean }[] };
    expect(body.workers.find((w) => w.workerId === workerId)?.online).toBe(true);
  });

  it('lists one entry, online, with the new register and no old heartbeat when a worker re-registers with its token', async () => {
    const h = await startHub();
    const { worker, workerId, token } = await withWorker(h);
    worker.ws.send(JSON.stringify({ v: 1, type: 'worker.heartbeat', cpuUsage: 5, memoryFree: 1, containersRunning: 0 }));
    await until('a heartbeat', () => h.hub.registry.get(workerId)?.heartbeat !== undefined || undefined);
    worker.ws.terminate();
    await until('offline', () => !h.hub.registry.isOnline(workerId));
    const again = await startFakeWorker({ url: `ws://127.0.0.1:${h.port}/ws/worker`, token });
    open.push({ close: () => again.ws.terminate() });
    const res = await fetch(`${h.base}/api/workers`, { headers: { authorization: `Bearer ${h.hub.adminToken}` } });
    const body = (await res.json()) as { workers: { workerId: string; online: boolean; heartbeat?: unknown }[] };
    expect(body.workers).toHaveLength(1);
    expect(body.workers[0]).toMatchObject({ workerId, online: true });
    expect(body.workers[0]?.heartbeat).toBeUndefined();
  });
});
