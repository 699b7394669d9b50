import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from './file-lock.js';
import { Registry } from './registry.js';

const workspaceRoot = resolve(import.meta.dirname, '../../../..');
const home = () => mkdtempSync(join(tmpdir(), 'bosun-home-'));

describe('Registry', () => {
  it('adds, merges, finds and removes entries keyed by directory and workspace', async () => {
    const reg = Registry.inHome(home());
    await reg.upsert({ directory: '/a/../b', workspace: 'w1', server: 'https://cp' });
    await reg.upsert({ directory: '/b', workspace: 'w2' });
    await reg.upsert({ directory: '/b', workspace: 'w1', node: 'n1' });
    expect(reg.list()).toHaveLength(2);
    expect(reg.get('/b', 'w1')).toMatchObject({ directory: '/b', workspace: 'w1', server: 'https://cp', node: 'n1', updatedAt: expect.any(String) });
    expect(statSync(reg.path).mode & 0o777).toBe(0o600);
    expect(await reg.remove('/b', 'w1')).toBe(true);
    expect(await reg.remove('/b', 'w1')).toBe(false);
    expect(reg.list().map((e) => e.workspace)).toEqual(['w2']);
  });

  it('loses no entry when several processes add entries at the same time', async () => {
    const reg = Registry.inHome(home());
    const writers = 4;
    const each = 8;
    const runs = Array.from({ length: writers }, (_, w) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@bosun/source', join(import.meta.dirname, 'registry-child.test-util.ts'), reg.path, `p${w}`, String(each)], {
        cwd: workspaceRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      return new Promise<void>((ok, fail) => child.once('exit', (code) => (code === 0 ? ok() : fail(new Error(`writer ${w} exited ${code}: ${stderr}`)))));
    });
    await Promise.all(runs);
    const entries = reg.list();
    expect(entries).toHaveLength(writers * each);
    for (let w = 0; w < writers; w++) for (let i = 0; i < each; i++) expect(reg.get(`/work/p${w}/${i}`, `ws-p${w}-${i}`), `p${w}/${i}`).toBeDefined();
  }, 120_000);

  it('takes over a lock whose holder stopped refreshing it when staleLockMs has passed', async () => {
    const reg = Registry.inHome(home(), { staleLockMs: 2_000, lockTimeoutMs: 5_000 });
    mkdirSync(`${reg.path}.lock`, { recursive: true });
    const past = new Date(Date.now() - 60_000);
    utimesSync(`${reg.path}.lock`, past, past);
    await reg.upsert({ directory: '/x', workspace: 'w' });
    expect(reg.get('/x', 'w')).toBeDefined();
  });

  it('throws timeout when a live holder keeps the lock past lockTimeoutMs', async () => {
    const reg = Registry.inHome(home(), { lockTimeoutMs: 200 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let holding!: () => void;
    const locked = new Promise<void>((r) => (holding = r));
    const holder = withFileLock(reg.path, async () => {
      holding();
      await held;
    });
    await locked;
    await expect(reg.upsert({ directory: '/x', workspace: 'w' })).rejects.toMatchObject({ code: 'timeout', message: expect.stringContaining(reg.path) });
    release();
    await holder;
    await reg.upsert({ directory: '/x', workspace: 'w' });
    expect(reg.list()).toHaveLength(1);
  });

  it('refuses a registry file other users can write, and entries that repeat a key', async () => {
    const reg = Registry.inHome(home());
    await reg.upsert({ directory: '/x', workspace: 'w' });
    await expect(reg.update((e) => [...e, { directory: '/x/.', workspace: 'w' }])).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(reg.update((e) => [...e, { directory: '', workspace: 'w' }])).rejects.toMatchObject({ code: 'invalid_field' });
    expect(reg.list()).toHaveLength(1);
    chmodSync(reg.path, 0o666);
    expect(() => reg.list()).toThrow(expect.objectContaining({ code: 'insecure_file' }));
  });
});
