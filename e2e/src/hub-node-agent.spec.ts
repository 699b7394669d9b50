/**
 * Cross-app: the hub mints tokens and publishes its JWKS; a node agent (a real process,
 * HTTPS with its self-signed certificate) verifies them against that JWKS and serves a
 * terminal over wss. A token for another workspace is refused; a forged one too.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, spawnApp, until, type RunningApp } from './spawn-app.test-util.js';

let hub: RunningApp;
let agent: RunningApp;
let hubUrl: string;
let agentUrl: string;
let admin: string;
let ca: string;
let callbackToken: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-e2e-node-'));
  const hubPort = await freePort();
  hubUrl = `http://127.0.0.1:${hubPort}`;
  hub = spawnApp('hub', [], { HUB_PORT: String(hubPort), HUB_DATA_DIR: join(dir, 'hub'), HUB_PUBLIC_URL: hubUrl });
  await hub.waitFor(/hub ready/, 60_000);
  admin = readFileSync(join(dir, 'hub', 'admin-token'), 'utf8').trim();
  const registered = await fetch(`${hubUrl}/api/nodes`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ nodeId: 'node-e2e' }) });
  if (registered.status !== 201) throw new Error(`registering the node answered ${registered.status}`);
  callbackToken = ((await registered.json()) as { callbackToken: string }).callbackToken;
  const agentPort = await freePort();
  agentUrl = `https://127.0.0.1:${agentPort}`;
  agent = spawnApp('node-agent', [], {
    NODE_ID: 'node-e2e',
    CONTROL_PLANE_URL: hubUrl,
    NODE_AGENT_HOST: '127.0.0.1',
    NODE_AGENT_PORT: String(agentPort),
    DATA_DIR: join(dir, 'agent'),
    DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}`,
    CALLBACK_TOKEN: callbackToken,
    CALLBACK_INTERVAL_MS: '1000',
  });
  await agent.waitFor(/node agent ready/, 60_000);
  ca = readFileSync(join(dir, 'agent', 'tls', 'cert.pem'), 'utf8');
}, 120_000);

afterAll(async () => {
  for (const p of [agent, hub]) {
    if (!p) continue;
    p.child.kill('SIGTERM');
    await p.exited;
  }
});

async function mint(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${hubUrl}/api/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

describe('hub ⇄ node agent', () => {
  it('opens a terminal over wss with a workspace token the hub minted, and the agent refuses the same token for another workspace', async () => {
    const token = await mint({ sub: 'user-e2e', audience: 'workspace-terminal', workspace: 'ws-e2e' });
    const ws = new WebSocket(`${agentUrl.replace('https', 'wss')}/terminal/ws?token=${encodeURIComponent(token)}`, { ca });
    let out = '';
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (d, isBinary) => (isBinary ? (out += (d as Buffer).toString()) : frames.push(JSON.parse(d.toString()) as Record<string, unknown>)));
    await until('attached', () => frames.find((f) => f['type'] === 'attached'));
    ws.send(Buffer.from('echo e2e-$((6*7))\n'));
    await until('output', () => out.includes('e2e-42'));
    ws.close();
    const other = new WebSocket(`${agentUrl.replace('https', 'wss')}/terminal/ws?workspace=ws-other&token=${encodeURIComponent(token)}`, { ca });
    const status = await new Promise<number>((r) => other.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0)));
    expect(status).toBe(403);
    // The agent logged the refusal's reason, never the token.
    await until('refusal logged', () => agent.stderr().includes('workspace_mismatch'));
    expect(agent.stderr()).not.toContain(token);
    expect(agent.stderr()).not.toContain(token.split('.')[2] ?? 'no-signature');
  });

  it('lists the workspace\'s tabs for a management token of this node and refuses one for another node', async () => {
    const good = await mint({ sub: 'user-e2e', audience: 'node-management', node: 'node-e2e', workspace: 'ws-e2e' });
    const { request } = await import('node:https');
    const get = (path: string, token: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${agentUrl}${path}`, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const tabs = await get('/workspaces/ws-e2e/tabs', good);
    expect(tabs.status).toBe(200);
    expect((JSON.parse(tabs.body) as { tabs: unknown[] }).tabs.length).toBeGreaterThanOrEqual(1);
    const bad = await mint({ sub: 'user-e2e', audience: 'node-management', node: 'node-elsewhere' });
    expect((await get('/workspaces/ws-e2e/tabs', bad)).status).toBe(403);
  });

  it('lists the node the hub registered, online with its active workspaces, once the real agent calls back with its token', async () => {
    const token = await mint({ sub: 'user-e2e', audience: 'workspace-terminal', workspace: 'ws-callback' });
    const ws = new WebSocket(`${agentUrl.replace('https', 'wss')}/terminal/ws?token=${encodeURIComponent(token)}`, { ca });
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (d, isBinary) => void (isBinary ? undefined : frames.push(JSON.parse(d.toString()) as Record<string, unknown>)));
    await until('attached', () => frames.find((f) => f['type'] === 'attached'));
    type Listed = { nodeId: string; online: boolean; version?: string; workspaces: { workspaceId: string; terminals: number }[]; metrics?: Record<string, number> };
    const node = await until('node listed with ws-callback', async () => {
      const res = await fetch(`${hubUrl}/api/nodes`, { headers: { authorization: `Bearer ${admin}` } });
      const n = ((await res.json()) as { nodes: Listed[] }).nodes.find((x) => x.nodeId === 'node-e2e');
      return n?.online && n.workspaces.some((w) => w.workspaceId === 'ws-callback' && w.terminals >= 1) ? n : undefined;
    });
    expect(node.version).toEqual(expect.any(String));
    expect(node.metrics?.['cpuCount']).toBeGreaterThan(0);
    ws.close();
    // A callback with another node's id is refused; the token is in neither log.
    const forged = await fetch(`${hubUrl}/api/nodes/callback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${callbackToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ nodeId: 'node-other', version: '1', workspaces: [], metrics: { cpuCount: 1, loadAvg1: 0, memoryTotal: 1, memoryFree: 1, uptimeSec: 1 }, intervalMs: 1000 }),
    });
    expect(forged.status).toBe(403);
    const secret = callbackToken.slice('bnc_'.length + 17);
    expect(agent.stderr() + agent.stdout()).not.toContain(secret);
    expect(hub.stderr() + hub.stdout()).not.toContain(secret);
  });

  it('serves its own log lines from DATA_DIR over GET /logs for a management token, the start-up line among them', async () => {
    const token = await mint({ sub: 'user-e2e', audience: 'node-management', node: 'node-e2e' });
    const { request } = await import('node:https');
    const page = await until('log page with the ready line', async () => {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${agentUrl}/logs?limit=1000&level=info`, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      const entries = (JSON.parse(body) as { entries?: { message: string; source: string }[] }).entries ?? [];
      return entries.some((e) => e.message === 'node agent ready') ? entries : undefined;
    });
    expect(page.every((e) => e.source === 'bosun-node-agent')).toBe(true);
    expect(JSON.stringify(page)).not.toContain(token);
  });
});
