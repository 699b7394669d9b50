/**
 * The newcomer's first ten minutes, in headless Chromium: the quick start, the page at
 * the printed URL, a container made through the API, a terminal in the page that
 * survives a reload, an ended terminal that says so, and a restarted quick start that
 * shows one worker, online. Screenshots of the page at 1280 px, 900 px and phone width
 * go to reports/screenshots/. Everything waits on conditions, never on fixed sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, repoRoot, until } from './spawn-app.test-util.js';

const engine = process.env.DOCKER_HOST && !process.env.BOSUN_NO_ENGINE;
const IMAGE = 'localhost/bosun-test:busybox';
const TENANT = `newcomer${Date.now().toString(36)}`;
const shots = join(repoRoot, 'reports/screenshots');
/** A 63-character container name (the engine's longest; the tab title is longer): the page must ellipsise it, not overflow at 900 px. */
const LONG_NAME = `${TENANT}-a-container-with-a-rather-long-descriptive-name-xyz`.padEnd(63, 'z').slice(0, 63);

interface QuickStart {
  child: ChildProcess;
  out: string[];
  exited: Promise<number | null>;
}

/** `npx tsx --conditions=@bosun/source tools/src/quick-start.ts`, in its own process group so nothing it starts can outlive the suite. */
function startQuickStart(port: number, dir: string): QuickStart {
  const child = spawn('npx', ['tsx', '--conditions=@bosun/source', 'tools/src/quick-start.ts'], {
    cwd: repoRoot,
    env: { ...process.env, HUB_PORT: String(port), BOSUN_QUICKSTART_DIR: dir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const out: string[] = [];
  const keep = (c: Buffer) => void out.push(c.toString());
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out, exited };
}

/** SIGTERM to the quick start's process group, as a terminal's Ctrl-C reaches every process of it; resolves once it exited and the port is free. */
async function stopQuickStart(q: QuickStart, port: number): Promise<void> {
  if (q.child.exitCode === null && q.child.signalCode === null) {
    try {
      process.kill(-(q.child.pid as number), 'SIGTERM');
    } catch {
      // Already gone.
    }
    await q.exited;
  }
  await until('the hub port free', async () => {
    try {
      await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
      return false;
    } catch {
      return true;
    }
  }, 60_000);
}

describe.skipIf(!engine)('newcomer: quick start, page, terminal, reload, ended, restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-newcomer-'));
  let port: number;
  let base: string;
  let admin: string;
  let browserUrl: string;
  let workerId: string;
  let containerId: string;
  let qs: QuickStart;
  let browser: Browser;
  let page: Page;
  let terminalId: string;

  async function api(path: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(120_000),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  const command = (body: Record<string, unknown>) => api(`/api/workers/${workerId}/commands`, body);

  /** The URL the quick start printed, once it printed it. */
  const printedUrl = (q: QuickStart) => until('the browser URL', () => /browser: (http:\/\/\S+)/.exec(q.out.join(''))?.[1], 180_000);

  /** The visible pane's terminal text, as xterm.js drew it in the DOM. */
  const screen = () => page.locator('.pane:not([hidden]) .xterm-rows').innerText();

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    qs = startQuickStart(port, dir);
    browserUrl = await printedUrl(qs);
    admin = decodeURIComponent(/#token=([^&]+)/.exec(browserUrl)?.[1] ?? '');
    expect(admin).not.toBe('');
    const online = await until('the quick start worker online', async () => (await api('/api/workers')).body.workers?.find((w: { online: boolean }) => w.online), 120_000);
    workerId = online.workerId;
    const created = await command({ type: 'container.create', tenant: TENANT, workspaceId: 'first-steps', name: LONG_NAME, image: IMAGE, cmd: ['sleep', '3600'] });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    containerId = created.body.containerId;
    expect((await command({ type: 'container.start', tenant: TENANT, containerId })).body.state).toBe('running');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 300_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    if (workerId && containerId) await command({ type: 'container.remove', tenant: TENANT, containerId, force: true }).catch(() => undefined);
    if (qs) {
      await stopQuickStart(qs, port).catch(() => undefined);
      // Safety net: nothing of the group survives the suite.
      try {
        process.kill(-(qs.child.pid as number), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }, 60_000);

  it('opens the printed URL, moves the token out of it and runs a command in a new terminal tab', async () => {
    await page.goto(browserUrl);
    // The token left the address bar (and the history entry) as the page loaded.
    await until('token out of the URL', async () => !page.url().includes('token='));
    expect(page.url()).toBe(`${base}/`);
    await page.locator(`tr[data-container="${containerId}"] button.open-terminal`).click({ timeout: 60_000 });
    await page.locator('.pane:not([hidden])[data-state="attached"]').waitFor({ timeout: 60_000 });
    terminalId = (await page.locator('.pane:not([hidden])').getAttribute('data-terminal-id')) as string;
    expect(terminalId).toBeTruthy();
    await page.locator('.pane:not([hidden]) .xterm-helper-textarea').focus();
    await page.keyboard.type('echo hi-from-$((40+2))\n');
    await until('output on the screen', async () => (await screen()).includes('hi-from-42'), 30_000);
    await page.screenshot({ path: join(shots, 'newcomer-1280.png') });
  }, 120_000);

  it('finds the same tab with its output after a reload, still live', async () => {
    await page.reload();
    const tab = page.locator(`.tab[data-terminal-id="${terminalId}"]`);
    await tab.waitFor({ timeout: 30_000 });
    expect(await page.locator('.tab').count()).toBe(1);
    await page.locator(`.pane[data-terminal-id="${terminalId}"][data-state="attached"]`).waitFor({ timeout: 60_000 });
    await until('old output replayed', async () => (await screen()).includes('hi-from-42'), 30_000);
    await page.locator('.pane:not([hidden]) .xterm-helper-textarea').focus();
    await page.keyboard.type('echo again-$((5+5))\n');
    await until('new output after the reload', async () => (await screen()).includes('again-10'), 30_000);
    // The hub lists it alive, for this tenant, with no second terminal opened by the reload.
    const listed = (await api('/api/terminals')).body.terminals as { terminalId: string; tenant?: string; state: string }[];
    expect(listed.filter((t) => t.tenant === TENANT)).toEqual([expect.objectContaining({ terminalId, state: 'alive' })]);
    await page.setViewportSize({ width: 900, height: 800 });
    await page.screenshot({ path: join(shots, 'newcomer-900.png') });
    // Nothing overflows the page sideways at 900 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(shots, 'newcomer-phone.png') });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 120_000);

  it('marks the tab ended and takes no input when its container is stopped', async () => {
    const stopped = await command({ type: 'container.stop', tenant: TENANT, containerId, timeoutS: 1 });
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    const pane = page.locator(`.pane[data-terminal-id="${terminalId}"]`);
    await page.locator(`.pane.ended[data-terminal-id="${terminalId}"]`).waitFor({ timeout: 60_000 });
    expect(await pane.locator('.terminal-state').innerText()).toMatch(/ended.*takes no input/);
    expect(await page.locator(`.tab.ended[data-terminal-id="${terminalId}"]`).count()).toBe(1);
    const before = await screen();
    await page.locator('.pane:not([hidden]) .xterm-helper-textarea').focus();
    await page.keyboard.type('echo nobody-hears\n');
    // xterm.js echoes nothing locally; the proof is the hub's record and an unchanged screen.
    const listed = await until('listed ended', async () => {
      const t = ((await api('/api/terminals')).body.terminals as { terminalId: string; state: string }[]).find((x) => x.terminalId === terminalId);
      return t?.state === 'ended' ? t : undefined;
    });
    expect(listed.state).toBe('ended');
    expect(await screen()).toBe(before);
    await page.screenshot({ path: join(shots, 'newcomer-ended-1280.png') });
    // Still ended after a reload.
    await page.reload();
    await page.locator(`.pane.ended[data-terminal-id="${terminalId}"]`).waitFor({ timeout: 30_000 });
  }, 120_000);

  it('marks a second tab ended when its container is removed while attached', async () => {
    const created = await command({ type: 'container.create', tenant: TENANT, workspaceId: 'second', image: IMAGE, cmd: ['sleep', '3600'] });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const second = created.body.containerId as string;
    expect((await command({ type: 'container.start', tenant: TENANT, containerId: second })).body.state).toBe('running');
    await page.locator(`tr[data-container="${second}"] button.open-terminal`).click({ timeout: 60_000 });
    await page.locator('.pane:not([hidden])[data-state="attached"]').waitFor({ timeout: 60_000 });
    const id = (await page.locator('.pane:not([hidden])').getAttribute('data-terminal-id')) as string;
    expect(id).not.toBe(terminalId);
    expect((await command({ type: 'container.remove', tenant: TENANT, containerId: second, force: true })).status).toBe(200);
    await page.locator(`.pane.ended[data-terminal-id="${id}"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator('.tab').count()).toBe(2);
  }, 120_000);

  it('lists one worker, online, after the quick start is stopped and started again', async () => {
    await stopQuickStart(qs, port);
    qs = startQuickStart(port, dir);
    browserUrl = await printedUrl(qs);
    admin = decodeURIComponent(/#token=([^&]+)/.exec(browserUrl)?.[1] ?? '');
    const workers = await until(
      'the worker online again',
      async () => {
        const w = (await api('/api/workers')).body.workers as { workerId: string; online: boolean }[] | undefined;
        return w?.some((x) => x.online) ? w : undefined;
      },
      120_000,
    );
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatchObject({ workerId, online: true });
    await page.goto(browserUrl);
    await page.locator(`#workers tr[data-worker="${workerId}"] td.online`).waitFor({ timeout: 30_000 });
    expect(await page.locator('#workers tbody tr').count()).toBe(1);
  }, 300_000);
});
