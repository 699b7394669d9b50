/**
 * Restart safety with the tmux backend: a container terminal survives `kill -9` of the
 * worker, is reported again at registration, and keeps taking input and giving output.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnApp, until, type RunningApp } from './spawn-app.test-util.js';

const engine = process.env.DOCKER_HOST && !process.env.BOSUN_NO_ENGINE;
const TENANT = `tmux${Date.now().toString(36)}`;



describe.skipIf(!engine)('worker restart with the tmux backend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-e2e-tmux-'));
  let port: number;
  let hub: RunningApp;
  let worker: RunningApp;
  let admin: string;
  let token: string;
  let workerId: string;
  const startWorker = () =>
    spawnApp('worker', [], {
      ORCHESTRATOR_WS_URL: `ws://127.0.0.1:${port}/ws/worker`,
      WORKER_TOKEN: token,
      DATA_DIR: join(dir, 'worker'),
      WORKER_TMUX: 'true',
    });
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const command = (body: Record<string, unknown>) => api(`/api/workers/${workerId}/commands`, body);
  // Attaches a viewer through the hub from offset 0 and resolves with what it saw once `needle` shows;
  // `onAttached` runs when the hub says the viewer is attached.
  const seeOnTerminal = (terminalId: string, needle: string, onAttached?: () => void) =>
    new Promise<string>((resolve, reject) => {
      const q = new URLSearchParams({ worker: workerId, tenant: TENANT, terminal: terminalId, offset: '0' });
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/terminal?${q}`, ['bosun.v1', `bearer.${admin}`]);
      let text = '';
      const timer = setTimeout(() => (ws.close(), reject(new Error(`no ${needle} in: ${text}`))), 20_000);
      const check = () => {
        if (!text.includes(needle)) return;
        clearTimeout(timer);
        ws.close();
        resolve(text);
      };
      ws.on('error', (err) => (clearTimeout(timer), reject(err)));
      ws.on('message', (d, isBinary) => {
        if (!isBinary) {
          const m = JSON.parse(d.toString()) as { type: string; data?: string };
          if (m.type === 'attached') onAttached?.();
          if (m.type === 'snapshot') text += m.data;
          return check();
        }
        text += d.toString();
        check();
      });
    });
  const online = () => until('worker online', async () => ((await api('/api/workers')).workers as { online: boolean; info?: { terminals?: { terminalId: string }[] } }[]).find((w) => w.online));

  beforeAll(async () => {
    port = await freePort();
    hub = spawnApp('hub', [], { HUB_PORT: String(port), HUB_DATA_DIR: join(dir, 'hub') });
    await hub.waitFor(/hub ready/);
    admin = readFileSync(join(dir, 'hub', 'admin-token'), 'utf8').trim();
    const created = await api('/api/workers', { name: 'tmux-worker' });
    token = created.token;
    workerId = created.workerId;
    worker = startWorker();
    await online();
  }, 60_000);

  afterAll(async () => {
    const list = await command({ type: 'container.list', tenant: TENANT }).catch(() => ({ containers: [] }));
    for (const c of list.containers ?? []) await command({ type: 'container.remove', tenant: TENANT, containerId: c.containerId, force: true });
    worker?.child.kill('SIGKILL');
    hub?.child.kill('SIGKILL');
    try {
      execFileSync('tmux', ['-S', join(dir, 'worker', 'tmux.sock'), 'kill-server'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }, 30_000);

  it('keeps a container terminal through kill -9 of the worker and reattaches to it', async () => {
    const { containerId } = await command({ type: 'container.create', tenant: TENANT, workspaceId: 'w', image: 'localhost/bosun-test:busybox', cmd: ['sleep', '3600'] });
    await command({ type: 'container.start', tenant: TENANT, containerId });
    const open = await command({ type: 'terminal.open', tenant: TENANT, containerId, cols: 80, rows: 24 });
    const terminalId = open.terminalId as string;
    expect(terminalId).toBeTruthy();
    await command({ type: 'terminal.input', tenant: TENANT, terminalId, data: 'echo before-$((1+1))\n' });
    // The shell ran the line (its result, not the echoed command line, is on the terminal) before the worker dies.
    await seeOnTerminal(terminalId, 'before-2');

    worker.child.kill('SIGKILL');
    await worker.exited;
    worker = startWorker();
    const w = await until('terminal re-adopted', async () => {
      const x = await online();
      return x.info?.terminals?.some((t) => t.terminalId === terminalId) ? x : undefined;
    });
    expect(w.info?.terminals?.map((t) => t.terminalId)).toContain(terminalId);

    const seen = await seeOnTerminal(terminalId, 'after-4', () => void command({ type: 'terminal.input', tenant: TENANT, terminalId, data: 'echo after-$((2+2))\n' }));
    // The screen from before the restart comes back with the live output after it.
    expect(seen).toContain('before-2');
    expect(seen).toContain('after-4');
  }, 90_000);
});
