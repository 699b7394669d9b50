import { existsSync, lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLogLineAsText, LogTap, RotatingFileSink, textLogStream } from './log-sinks.js';

const write = (w: NodeJS.WritableStream, text: string) => new Promise<void>((r, j) => w.write(text, (e) => (e ? j(e) : r())));

describe('formatLogLineAsText', () => {
  it('puts time, level, name and message first and the other fields as key=value', () => {
    const line = JSON.stringify({ level: 40, time: Date.UTC(2026, 10, 29, 2, 55, 25), pid: 1, hostname: 'h', name: 'bosun-node-agent', msg: 'refused a request', reason: 'token_missing', route: '/workspaces/:id/tabs', n: 3 });
    expect(formatLogLineAsText(line)).toBe('2026-11-29T02:55:25.000Z WARN  bosun-node-agent: refused a request reason=token_missing route=/workspaces/:id/tabs n=3');
  });

  it('passes a line that is not JSON through unchanged', () => {
    expect(formatLogLineAsText('plain words')).toBe('plain words');
  });

  it('rejoins lines split across writes when streaming', async () => {
    const out: string[] = [];
    const s = textLogStream((t) => void out.push(t));
    const line = JSON.stringify({ level: 30, time: 0, msg: 'hello world' });
    await write(s, line.slice(0, 7));
    await write(s, `${line.slice(7)}\n`);
    expect(out).toEqual(['1970-01-01T00:00:00.000Z INFO  hello world\n']);
  });
});

describe('RotatingFileSink', () => {
  it('appends with mode 0600 and rotates by size, keeping the newest lines and at most `keep` old files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-logs-'));
    const path = join(dir, 'logs', 'app.log');
    const sink = new RotatingFileSink(path, { maxBytes: 100, keep: 2 });
    for (let i = 0; i < 20; i++) await write(sink, `${JSON.stringify({ i, pad: 'x'.repeat(20) })}\n`);
    sink.destroy();
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(dir, 'logs')).mode & 0o777).toBe(0o700);
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const current = readFileSync(path, 'utf8').trim().split('\n');
    expect(JSON.parse(current.at(-1) ?? '{}')).toMatchObject({ i: 19 });
    for (const f of [path, `${path}.1`]) expect(readFileSync(f).length).toBeLessThanOrEqual(100);
  });

  it('refuses to write through a symlink planted where the log file goes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-logs-'));
    writeFileSync(join(dir, 'victim'), 'keep me\n');
    symlinkSync(join(dir, 'victim'), join(dir, 'app.log'));
    expect(() => new RotatingFileSink(join(dir, 'app.log'))).toThrow(/symlink/);
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('keep me\n');
  });
});

describe('LogTap', () => {
  it('keeps the last lines and tells subscribers of new ones until they unsubscribe', async () => {
    const tap = new LogTap(3);
    const seen: string[] = [];
    const stop = tap.subscribe((l) => void seen.push(l));
    for (let i = 0; i < 5; i++) await write(tap, `{"i":${i}}\n`);
    expect(tap.recent()).toEqual(['{"i":2}', '{"i":3}', '{"i":4}']);
    expect(seen).toHaveLength(5);
    stop();
    await write(tap, '{"i":5}\n');
    expect(seen).toHaveLength(5);
    tap.subscribe(() => {
      throw new Error('gone');
    });
    await write(tap, '{"i":6}\n');
    expect(tap.recent(1)).toEqual(['{"i":6}']);
  });
});
