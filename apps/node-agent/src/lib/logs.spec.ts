import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastifyWebsocket from '@fastify/websocket';
import { LogTap, RotatingFileSink } from '@bosun/app-shell';
import { silentLogger } from '@bosun/logger';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { entryOfPinoLine, logRoutes, readJournal, readOwnLogs } from './logs.js';

const line = (i: number, level = 30, name = 'bosun-node-agent') => JSON.stringify({ level, time: Date.UTC(2026, 10, 29, 0, 0, i), pid: 1, hostname: 'h', name, msg: `entry ${i}`, i });

/** Writes `n` entries through the real rotating sink (small files, so they rotate). */
async function logFiles(n: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-agent-logs-'));
  const path = join(dir, 'agent.log');
  const sink = new RotatingFileSink(path, { maxBytes: 2000, keep: 3 });
  for (let i = 0; i < n; i++) await new Promise<void>((r) => sink.write(`${line(i, i % 10 === 0 ? 50 : 30)}\n`, () => r()));
  sink.destroy();
  return [path, `${path}.1`, `${path}.2`, `${path}.3`];
}

describe('readOwnLogs', () => {
  it('pages newest first across rotated files with no entry lost or repeated', async () => {
    const files = await logFiles(40);
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const r = readOwnLogs(files, { limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...r.entries.map((e) => (e.fields as { i: number }).i));
      if (!r.next) break;
      cursor = r.next;
    }
    // 4 files of ≤ 2000 bytes keep the newest entries only; those kept come back in order, each once.
    expect(seen[0]).toBe(39);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(20);
  });

  it('filters by level, time and unit', async () => {
    const files = await logFiles(30);
    expect(readOwnLogs(files, { limit: 100, level: 'error' }).entries.map((e) => e.message)).toEqual(['entry 20', 'entry 10', 'entry 0']);
    const t = (s: number) => Date.UTC(2026, 10, 29, 0, 0, s);
    expect(readOwnLogs(files, { limit: 100, since: t(25), until: t(28) }).entries.map((e) => e.message)).toEqual(['entry 27', 'entry 26', 'entry 25']);
    expect(readOwnLogs(files, { limit: 100, unit: 'other-app' }).entries).toEqual([]);
  });

  it('skips lines that are not log entries and survives a cursor that no longer fits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-agent-logs-'));
    writeFileSync(join(dir, 'a.log'), `garbage\n${line(1)}\n{"no":"time"}\n${line(2)}\n`);
    expect(readOwnLogs([join(dir, 'a.log')], { limit: 10 }).entries.map((e) => e.message)).toEqual(['entry 2', 'entry 1']);
    expect(readOwnLogs([join(dir, 'a.log')], { limit: 10, cursor: '0:999999' }).entries).toHaveLength(2);
    expect(readOwnLogs([join(dir, 'a.log')], { limit: 10, cursor: 'nonsense' }).entries).toHaveLength(2);
  });
});

describe('readJournal', () => {
  const j = (us: number, prio: number, msg: string | number[], cursor: string) => JSON.stringify({ __REALTIME_TIMESTAMP: String(us), PRIORITY: String(prio), MESSAGE: msg, _SYSTEMD_UNIT: 'bosun-node-agent.service', __CURSOR: cursor });

  it('asks journalctl for one more entry than the page and hands its cursor on', async () => {
    let args: string[] = [];
    const out = [j(3_000_000, 6, 'c', 'k3'), j(2_000_000, 3, [104, 105], 'k2'), j(1_000_000, 6, 'a', 'k1')].join('\n');
    const r = await readJournal({ limit: 2, level: 'warn', unit: 'bosun-node-agent.service', since: 1000 }, 1000, async (a) => ((args = a), out));
    expect(args).toEqual(expect.arrayContaining(['-o', 'json', '-r', '-n', '3', '-u', 'bosun-node-agent.service', '-p', '4', '--since', '@1']));
    expect(r.entries.map((e) => [e.message, e.level])).toEqual([
      ['c', 'info'],
      ['hi', 'error'],
    ]);
    expect(r.next).toBe('k1');
  });

  it('answers timeout when journalctl never returns, and log_unavailable when it fails', async () => {
    await expect(readJournal({ limit: 1 }, 20, () => new Promise(() => undefined))).rejects.toMatchObject({ code: 'timeout' });
    await expect(readJournal({ limit: 1 }, 1000, async () => Promise.reject(new Error('No journal files were found.')))).rejects.toMatchObject({ code: 'log_unavailable' });
  });
});

describe('logRoutes', () => {
  async function app(authorized = true) {
    const tap = new LogTap(1000);
    const files = await logFiles(12);
    const a = Fastify();
    await a.register(fastifyWebsocket);
    await a.register(logRoutes, {
      files,
      journal: false,
      tap,
      logger: silentLogger,
      streamBufferSize: 3,
      authorize: async (_req, reply) => {
        if (authorized) return true;
        await reply.code(401).send({ error: { code: 'unauthorized', message: 'no' } });
        return false;
      },
    });
    await a.ready();
    return { a, tap };
  }

  it('serves a page of entries and refuses a limit over the maximum with the field path', async () => {
    const { a } = await app();
    const r = await a.inject({ url: '/logs?limit=5' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ entries: expect.any(Array), next: expect.any(String) });
    expect((r.json() as { entries: unknown[] }).entries).toHaveLength(5);
    const bad = await a.inject({ url: '/logs?limit=5000' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { path: ['limit'] } });
    expect((await a.inject({ url: '/logs?since=yesterday' })).statusCode).toBe(400);
  });

  it('refuses /logs and the stream upgrade when not authorised', async () => {
    const { a } = await app(false);
    expect((await a.inject({ url: '/logs' })).statusCode).toBe(401);
    await expect(a.injectWS('/logs/stream')).rejects.toThrow(/401/);
  });

  it('streams the last buffered entries, then live ones, as log frames', async () => {
    const { a, tap } = await app();
    for (let i = 0; i < 5; i++) tap.write(`${line(i)}\n`);
    const frames: Record<string, unknown>[] = [];
    const ws = await a.injectWS('/logs/stream', {}, { onInit: (w) => void w.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>)) });
    for (let i = 0; i < 200 && frames.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(frames.map((f) => f['message'])).toEqual(['entry 2', 'entry 3', 'entry 4']);
    tap.write(`${line(9, 40)}\n`);
    for (let i = 0; i < 200 && frames.length < 4; i++) await new Promise((r) => setTimeout(r, 5));
    expect(frames[3]).toMatchObject({ v: 1, type: 'log', level: 'warn', message: 'entry 9', source: 'bosun-node-agent' });
    ws.terminate();
  });

  it('maps a pino line to an entry with its extra fields and no pid or hostname', () => {
    expect(entryOfPinoLine(line(3, 50))).toEqual({ ts: '2026-11-29T00:00:03.000Z', level: 'error', source: 'bosun-node-agent', message: 'entry 3', fields: { i: 3 } });
  });
});
