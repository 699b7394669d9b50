import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@bosun/logger';
import { manualClock } from '@bosun/util';
import { afterEach, describe, expect, it } from 'vitest';
import { activeWorkspaces, callbackTokenStore, startCallback, type CallbackAttempt, type CallbackLoop, type CallbackOptions } from './callback.js';

interface Seen {
  auth: string | undefined;
  body: Record<string, unknown>;
  closed: Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A control plane on loopback that records every callback and answers with `handler`. */
async function controlPlane(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, body: JSON.parse(data) as Record<string, unknown>, closed: new Promise((r) => res.on('close', () => r())) });
      handler(req, res, seen.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => (server.closeAllConnections(), server.close(r))));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/nodes/callback`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

function memoryLogger(): Logger & { text: () => string } {
  const lines: string[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ''}`);
  return { text: () => lines.join('\n'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const TOKEN = 'bnc_aaaaaaaaaaaaaaaa_' + 'S'.repeat(43);

function start(url: string, extra: Partial<CallbackOptions> = {}) {
  const clock = manualClock(1_000_000);
  const attempts: CallbackAttempt[] = [];
  const logger = memoryLogger();
  let token = TOKEN;
  const loop: CallbackLoop = startCallback({
    url,
    nodeId: 'node-1',
    token: () => token,
    setToken: (t) => (token = t),
    intervalMs: 30_000,
    payload: async () => ({ version: '9.9.9', workspaces: [{ workspaceId: 'ws-a', terminals: 2 }], metrics: { cpuCount: 2, loadAvg1: 0.1, memoryTotal: 10, memoryFree: 5, uptimeSec: 7 } }),
    logger,
    clock,
    random: () => 0.5,
    onAttempt: (a) => attempts.push(a),
    ...extra,
  });
  cleanup.push(() => loop.stop());
  const nth = (n: number) => until(`attempt ${n}`, () => attempts[n - 1]);
  return { clock, attempts, logger, loop, nth, token: () => token };
}

describe('startCallback', () => {
  it('posts at once, with the token and the report, then again after the interval when the control plane answers', async () => {
    const cp = await controlPlane((_req, res) => json(res, 200, { ok: true }));
    const { clock, nth } = start(cp.url);
    await until('first post', () => cp.seen[0]);
    expect(cp.seen[0]?.auth).toBe(`Bearer ${TOKEN}`);
    expect(cp.seen[0]?.body).toEqual({
      nodeId: 'node-1',
      version: '9.9.9',
      workspaces: [{ workspaceId: 'ws-a', terminals: 2 }],
      metrics: { cpuCount: 2, loadAvg1: 0.1, memoryTotal: 10, memoryFree: 5, uptimeSec: 7 },
      intervalMs: 30_000,
    });
    expect(await nth(1)).toMatchObject({ ok: true, status: 200, nextInMs: 30_000 });
    clock.advance(29_999);
    expect(cp.seen).toHaveLength(1);
    clock.advance(1);
    await until('second post', () => cp.seen[1]);
  });

  it('retries with doubling, jittered backoff when the control plane answers 500, and returns to the interval when it recovers', async () => {
    const cp = await controlPlane((_req, res, n) => (n <= 3 ? json(res, 500, { error: { code: 'internal', message: 'x' } }) : json(res, 200, { ok: true, nextIntervalMs: 60_000 })));
    const { clock, nth, logger } = start(cp.url);
    const delays: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const a = await nth(i);
      expect(a).toMatchObject({ ok: false, status: 500, code: 'internal', failures: i });
      delays.push(a.nextInMs);
      clock.advance(a.nextInMs);
    }
    // random() = 0.5: three quarters of 1 s, 2 s, 4 s.
    expect(delays).toEqual([750, 1500, 3000]);
    expect(await nth(4)).toMatchObject({ ok: true, failures: 0, nextInMs: 60_000 });
    // One failure line (the repeats are only counted) and one recovery line.
    expect(logger.text().match(/node callback failed/g)).toHaveLength(1);
    expect(logger.text()).toContain('answers again');
    // The interval the control plane asked for is the one reported from then on.
    clock.advance(60_000);
    await until('fifth post', () => cp.seen[4]);
    expect(cp.seen[4]?.body['intervalMs']).toBe(60_000);
    // The window closed: the repeats are summed up in one line.
    expect(logger.text()).toContain('repeated 2 more times');
  });

  it('backs off up to the cap when the connection is refused', async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const port = (gone.address() as { port: number }).port;
    await new Promise((r) => gone.close(r));
    const { clock, nth } = start(`http://127.0.0.1:${port}/api/nodes/callback`, { maxBackoffMs: 8000 });
    const delays: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const a = await nth(i);
      expect(a).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
      delays.push(a.nextInMs);
      clock.advance(a.nextInMs);
    }
    expect(delays).toEqual([750, 1500, 3000, 6000, 6000, 6000]);
  });

  it('gives up on a post at the deadline and aborts it when the control plane never answers', async () => {
    const cp = await controlPlane(() => undefined);
    const { clock, nth } = start(cp.url);
    await until('post', () => cp.seen[0]);
    clock.advance(9_999);
    expect(await Promise.race([nth(1).then(() => 'settled'), new Promise((r) => setImmediate(() => r('pending')))])).toBe('pending');
    clock.advance(1);
    expect(await nth(1)).toMatchObject({ ok: false, code: 'timeout', nextInMs: 750 });
    await cp.seen[0]?.closed;
  });

  it('uses and keeps a refreshed token (0600, survives a restart) when the reply carries one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-callback-'));
    const file = join(dir, 'callback-token');
    const fresh = 'bnc_bbbbbbbbbbbbbbbb_' + 'N'.repeat(43);
    const cp = await controlPlane((_req, res, n) => json(res, 200, n === 1 ? { ok: true, callbackToken: fresh } : { ok: true }));
    const store = callbackTokenStore(file, TOKEN);
    const { clock, nth, logger } = start(cp.url, { token: () => store.get(), setToken: (t) => store.set(t) });
    expect(await nth(1)).toMatchObject({ ok: true, tokenRefreshed: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain(TOKEN);
    clock.advance(30_000);
    await until('second post', () => cp.seen[1]);
    expect(cp.seen[1]?.auth).toBe(`Bearer ${fresh}`);
    // A restart with the same CALLBACK_TOKEN uses the refresh; one with a new CALLBACK_TOKEN (re-registered) uses that.
    expect(callbackTokenStore(file, TOKEN).get()).toBe(fresh);
    expect(callbackTokenStore(file, 'bnc_cccccccccccccccc_' + 'C'.repeat(43)).get()).toBe('bnc_cccccccccccccccc_' + 'C'.repeat(43));
    expect(logger.text()).toContain('refreshed');
    expect(logger.text()).not.toContain(fresh);
  });

  it('keeps the old token when the refreshed one cannot be written, and refuses a token file open to others or a symlink', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-callback-'));
    const cp = await controlPlane((_req, res) => json(res, 200, { ok: true, callbackToken: 'bnc_bbbbbbbbbbbbbbbb_' + 'N'.repeat(43) }));
    const { nth, token } = start(cp.url, {
      token: () => TOKEN,
      setToken: () => {
        throw new Error('disk full');
      },
    });
    expect(await nth(1)).toMatchObject({ ok: true, tokenRefreshed: false });
    expect(token()).toBe(TOKEN);
    const loose = join(dir, 'loose');
    writeFileSync(loose, '{}', { mode: 0o644 });
    expect(() => callbackTokenStore(loose, TOKEN)).toThrow(expect.objectContaining({ code: 'insecure_file' }) as Error);
    symlinkSync('/etc/passwd', join(dir, 'link'));
    expect(() => callbackTokenStore(join(dir, 'link'), TOKEN)).toThrow(expect.objectContaining({ code: 'insecure_file' }) as Error);
  });

  it('never logs the token, when the control plane refuses it, answers garbage, or is unreachable', async () => {
    const cp = await controlPlane((_req, res, n) => {
      if (n === 1) return json(res, 401, { error: { code: 'unauthorized', message: `missing or wrong callback token ${TOKEN}` } });
      if (n === 2) return json(res, 200, { ok: 'yes', echo: TOKEN });
      if (n === 3) return json(res, 200, { big: 'x'.repeat(100_000) });
      return json(res, 403, { error: { code: 'forbidden', message: 'another node' } });
    });
    const { clock, nth, logger } = start(cp.url);
    const codes: (string | undefined)[] = [];
    for (let i = 1; i <= 4; i++) {
      const a = await nth(i);
      codes.push(a.code);
      clock.advance(a.nextInMs);
    }
    expect(codes).toEqual(['unauthorized', 'invalid_reply', 'invalid_reply', 'forbidden']);
    expect(logger.text()).toContain('register the node again');
    expect(logger.text()).not.toContain(TOKEN);
    expect(logger.text()).not.toContain('S'.repeat(43));
  });

  it('stops posting and aborts the post in flight when stopped', async () => {
    const cp = await controlPlane(() => undefined);
    const { clock, loop, attempts } = start(cp.url);
    await until('post', () => cp.seen[0]);
    await loop.stop();
    await cp.seen[0]?.closed;
    clock.advance(10 * 60_000);
    expect(attempts).toEqual([]);
    expect(cp.seen).toHaveLength(1);
  });

  it('refuses a plain-http callback URL to a host that is not loopback', () => {
    expect(() => start('http://control.example/api/nodes/callback')).toThrow(expect.objectContaining({ code: 'invalid_argument' }) as Error);
  });
});

describe('activeWorkspaces', () => {
  it('counts alive terminals per workspace (the owner\'s tenant) when several share one', () => {
    const t = (id: string, tenant: string) => ({ terminalId: id, offset: 0, owner: { tenant } });
    expect(activeWorkspaces([t('1', 'b'), t('2', 'a'), t('3', 'b')])).toEqual([
      { workspaceId: 'a', terminals: 1 },
      { workspaceId: 'b', terminals: 2 },
    ]);
  });
});
