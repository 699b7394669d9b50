import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { LogTap } from '@bosun/app-shell';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIENCE_NODE_MANAGEMENT, AUDIENCE_WORKSPACE_TERMINAL, JwtVerifier, KeyRing, TokenIssuer } from '@bosun/auth';
import { silentLogger } from '@bosun/logger';
import { createTerminalStack, type TerminalStack } from '@bosun/terminal-service';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestControlPlane } from './control-plane.test-util.js';
import { buildNodeAgentServer } from './server.js';
import { loadOrCreateTls, type TlsMaterial } from './tls.js';

const NODE = 'node-1';
let jwks: { close(): void };
let issuer: TokenIssuer;
let otherIssuer: TokenIssuer;
let controlPlaneUrl: string;
let stack: TerminalStack;
let server: FastifyInstance;
let base: string;
let tls: TlsMaterial;
let verifier: JwtVerifier;
let tap: LogTap;

beforeAll(async () => {
  const cp = await startTestControlPlane();
  jwks = cp;
  controlPlaneUrl = cp.url;
  issuer = cp.issuer;
  // Same issuer name, a key the JWKS never published: a forger's token.
  otherIssuer = new TokenIssuer({ keyRing: await KeyRing.open(), issuer: controlPlaneUrl });
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-node-agent-'));
  tls = await loadOrCreateTls({ dataDir });
  stack = await createTerminalStack({ dataDir, dockerHost: `unix://${join(dataDir, 'no-engine.sock')}`, env: { PATH: process.env.PATH }, logger: silentLogger });
  verifier = new JwtVerifier({ controlPlaneUrl, nodeId: NODE });
  tap = new LogTap(100);
  tap.write(`${JSON.stringify({ level: 30, time: Date.now(), name: 'bosun-node-agent', msg: 'from the tap' })}\n`);
  const logFile = join(dataDir, 'logs', 'node-agent.log');
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  writeFileSync(logFile, `${JSON.stringify({ level: 40, time: Date.now(), name: 'bosun-node-agent', msg: 'from the file' })}\n`);
  server = await buildNodeAgentServer({
    tls,
    nodeId: NODE,
    verifier,
    terminals: stack.service,
    driver: stack.driver,
    logger: silentLogger,
    version: '9.9.9',
    terminalLimits: { maxMessageBytes: 4096 },
    logs: { files: [logFile], journal: false, tap },
  });
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  base = address.replace('http://', 'https://');
});

afterAll(async () => {
  await server?.close();
  verifier?.close();
  await stack?.close();
  jwks?.close();
});

/** An HTTPS GET that trusts exactly the agent's certificate. */
async function get(path: string, token?: string): Promise<{ status: number; body: Record<string, unknown>; www: string | null }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { ca: tls.cert, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, www: (res.headers['www-authenticate'] as string | undefined) ?? null }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The token with one bit of its signature's 11th byte flipped (not a base64 padding bit, which decodes to the same bytes). */
function flipSignatureByte(token: string): string {
  const [h, p, sig] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(sig, 'base64url');
  bytes[10] = (bytes[10] ?? 0) ^ 0x01;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}

const mgmt = async (o: { workspace?: string; node?: string; audience?: string; ttlSec?: number } = {}) =>
  (await issuer.mint({ sub: 'user-1', audience: o.audience ?? AUDIENCE_NODE_MANAGEMENT, node: o.node ?? NODE, ...(o.workspace ? { workspace: o.workspace } : {}), ...(o.ttlSec ? { ttlSec: o.ttlSec } : {}) })).token;
const term = async (workspace: string) => (await issuer.mint({ sub: 'user-1', audience: AUDIENCE_WORKSPACE_TERMINAL, workspace })).token;

describe('node agent HTTPS', () => {
  it('answers /health without a token over TLS, with its version and no ids', async () => {
    const r = await get('/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', version: '9.9.9' });
    expect(JSON.stringify(r.body)).not.toMatch(/user-1|ws-a|node-1/);
  });

  it.each([
    ['no token', undefined, 401, 'token_missing'],
    ['a terminal token on the management API', 'term', 401, 'wrong_audience'],
    ['a token for another node', 'other-node', 403, 'node_mismatch'],
    ['a token for another workspace', 'other-ws', 403, 'workspace_mismatch'],
    ['a token signed by a key the JWKS never published', 'forged', 401, 'unknown_kid'],
    ['a token with a flipped signature byte', 'tampered', 401, 'bad_signature'],
  ])('refuses %s on GET /workspaces/{id}/tabs', async (_name, kind, status, reason) => {
    const token =
      kind === undefined
        ? undefined
        : kind === 'term'
          ? await term('ws-a')
          : kind === 'other-node'
            ? await mgmt({ node: 'node-2' })
            : kind === 'other-ws'
              ? await mgmt({ workspace: 'ws-b' })
              : kind === 'forged'
                ? (await otherIssuer.mint({ sub: 'user-1', audience: AUDIENCE_NODE_MANAGEMENT, node: NODE })).token
                : flipSignatureByte(await mgmt());
    const r = await get('/workspaces/ws-a/tabs', token);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ error: { details: { reason } } });
    if (token) expect(JSON.stringify(r.body)).not.toContain(token);
    if (status === 401) expect(r.www).toMatch(/^Bearer realm="bosun"/);
  });

  it('lists only the addressed workspace\'s terminals as tabs when the token allows it', async () => {
    const t = await stack.service.open({ tenant: 'ws-tabs' }, { cmd: ['/bin/sh', '-c', 'sleep 30'], cols: 100, rows: 30 });
    await stack.service.open({ tenant: 'ws-other' }, { cmd: ['/bin/sh', '-c', 'sleep 30'] });
    const r = await get('/workspaces/ws-tabs/tabs', await mgmt({ workspace: 'ws-tabs' }));
    expect(r.status).toBe(200);
    expect(r.body['tabs']).toEqual([expect.objectContaining({ id: t.terminalId, cols: 100, rows: 30, alive: true })]);
    // A node-wide management token (no workspace claim) may list any workspace of this node.
    expect((await get('/workspaces/ws-other/tabs', await mgmt())).body['tabs']).toHaveLength(1);
    expect((await get('/workspaces/..%2Fetc/tabs', await mgmt())).status).toBe(400);
  });
});

/** A viewer on /terminal/ws collecting JSON frames and output bytes. */
function viewer(query: Record<string, string>, headers: Record<string, string> = {}) {
  const url = `${base.replace('https', 'wss')}/terminal/ws?${new URLSearchParams(query)}`;
  const ws = new WebSocket(url, { ca: tls.cert, headers });
  const frames: Record<string, unknown>[] = [];
  let out = Buffer.alloc(0);
  ws.on('message', (d, isBinary) => {
    if (isBinary) out = Buffer.concat([out, d as Buffer]);
    else frames.push(JSON.parse(d.toString()) as Record<string, unknown>);
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  const refused = new Promise<number>((r) => ws.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0)));
  return { ws, frames, output: () => out.toString('latin1'), closed, refused };
}

async function until<T>(fn: () => T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

describe('node agent logs', () => {
  it('pages its own log file for a management token of this node and refuses terminal tokens and other nodes', async () => {
    const r = await get('/logs?limit=10', await mgmt());
    expect(r.status).toBe(200);
    expect(r.body['entries']).toEqual([expect.objectContaining({ level: 'warn', message: 'from the file', source: 'bosun-node-agent' })]);
    expect((await get('/logs', await term('ws-a'))).status).toBe(401);
    expect((await get('/logs', await mgmt({ node: 'node-2' }))).status).toBe(403);
    expect((await get('/logs')).status).toBe(401);
  });

  it('streams recent and live entries over wss with the token as a query parameter, and refuses the upgrade without one', async () => {
    const ws = new WebSocket(`${base.replace('https', 'wss')}/logs/stream?token=${encodeURIComponent(await mgmt())}`, { ca: tls.cert });
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await until(() => frames.find((f) => f['message'] === 'from the tap'), 'recent entry');
    tap.write(`${JSON.stringify({ level: 50, time: Date.now(), name: 'bosun-node-agent', msg: 'live one' })}\n`);
    await until(() => frames.find((f) => f['message'] === 'live one' && f['level'] === 'error'), 'live entry');
    ws.close();
    const refused = new WebSocket(`${base.replace('https', 'wss')}/logs/stream`, { ca: tls.cert });
    expect(await new Promise<number>((r) => refused.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0)))).toBe(401);
  });
});

describe('node agent /terminal/ws', () => {
  it('refuses the upgrade with 401 before any terminal opens when the token is missing or for the management API', async () => {
    const before = stack.service.list({ tenant: 'ws-a' }).length;
    expect(await viewer({}).refused).toBe(401);
    expect(await viewer({ token: await mgmt() }).refused).toBe(401);
    expect(stack.service.list({ tenant: 'ws-a' })).toHaveLength(before);
  });

  it('opens a shell in the token\'s workspace, takes keystrokes, and replays exactly the bytes after an offset on reattach', async () => {
    const token = await term('ws-a');
    const a = viewer({ token });
    const attached = await until(() => a.frames.find((f) => f['type'] === 'attached'), 'attached');
    const sessionId = attached['sessionId'] as string;
    a.ws.send(Buffer.from('echo one-$((40+2))\n'));
    await until(() => a.output().includes('one-42'), 'first output');
    const seen = Buffer.byteLength(a.output(), 'latin1');
    a.ws.close();
    await a.closed;
    // Output produced while nobody watches is kept for the next viewer.
    stack.service.input({ tenant: 'ws-a' }, sessionId, 'echo two-$((40+3))\n');
    const b = viewer({ session: sessionId, offset: String(seen) }, { authorization: `Bearer ${token}` });
    const again = await until(() => b.frames.find((f) => f['type'] === 'attached'), 'reattached');
    expect(again).toMatchObject({ sessionId, offset: seen, snapshot: false });
    await until(() => b.output().includes('two-43'), 'replayed output');
    expect(b.output()).not.toContain('one-42');
    b.ws.close();
    await b.closed;
  });

  it('never opens another workspace\'s terminal: a token for ws-b naming ws-a\'s session is refused with 4004', async () => {
    const t = await stack.service.open({ tenant: 'ws-a' }, { cmd: ['/bin/sh', '-c', 'echo secret-of-a; sleep 30'] });
    const v = viewer({ session: t.terminalId, token: await term('ws-b') });
    expect((await v.closed).code).toBe(4004);
    expect(v.output()).not.toContain('secret-of-a');
    expect(v.frames[0]).toMatchObject({ type: 'error', code: 'not_found' });
  });

  it('closes with 1009 when a viewer sends a message over the limit, and the terminal lives on', async () => {
    const v = viewer({ token: await term('ws-a') });
    const attached = await until(() => v.frames.find((f) => f['type'] === 'attached'), 'attached');
    v.ws.send(Buffer.alloc(8192, 0x61));
    expect((await v.closed).code).toBe(1009);
    expect(stack.service.get({ tenant: 'ws-a' }, attached['sessionId'] as string).status).toBe('alive');
  });

  it('keeps its self-signed certificate across restarts and refuses a key file others can read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-tls-'));
    const first = await loadOrCreateTls({ dataDir: dir });
    expect((await loadOrCreateTls({ dataDir: dir })).fingerprint256).toBe(first.fingerprint256);
    chmodSync(join(dir, 'tls', 'key.pem'), 0o644);
    await expect(loadOrCreateTls({ dataDir: dir })).rejects.toThrow(/other users/);
    await expect(loadOrCreateTls({ dataDir: dir, certPath: join(dir, 'tls', 'cert.pem') })).rejects.toThrow(/both TLS_CERT and TLS_KEY/);
  });
});
