import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConformance, expectCode } from '../../conformance/conformance.test-util.js';
import { ProcessDriver, prlimitArgs } from './process-driver.js';
import { isAlive } from './proc.js';

const roots: string[] = [];
const makeRoot = async () => {
  const r = await mkdtemp(join(tmpdir(), 'bosun-proc-'));
  roots.push(r);
  return r;
};
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

// Run as non-root would also enforce pids; the suite follows capabilities() either way.
describeConformance('process', async () => new ProcessDriver({ root: await makeRoot() }));

describe('ProcessDriver', () => {
  let root: string;
  let d: ProcessDriver;
  const tenant = 't1';
  beforeAll(async () => {
    root = await makeRoot();
    d = new ProcessDriver({ root });
  });

  it('says isolation is process-level and images are informational', async () => {
    const caps = await d.capabilities();
    expect(caps).toMatchObject({ isolation: 'process', images: false, build: false, mounts: false, readOnlyRoot: false });
    expect(caps.limits.cpus).toBe(false);
    expect(await d.imageExists('anything:at-all')).toBe(true);
  });

  it('applies rlimits through prlimit', async () => {
    expect(prlimitArgs({ memoryBytes: 64 << 20, cpuSeconds: 5, pids: 10, fileSizeBytes: 1024 })).toEqual([
      `--as=${64 << 20}`,
      '--cpu=5',
      '--nproc=10',
      '--fsize=1024',
    ]);
    const c = await d.create({ tenant, workspace: 'w', image: 'ignored', limits: { memoryBytes: 256 << 20, cpuSeconds: 7 } });
    const ref = { tenant, id: c.id };
    await d.start(ref);
    const r = await d.exec(ref, { cmd: ['cat', '/proc/self/limits'] });
    const text = r.stdout.toString();
    expect(text).toMatch(/Max cpu time\s+7\s+7\s+seconds/);
    expect(text).toMatch(new RegExp(`Max address space\\s+${256 << 20}\\s+${256 << 20}\\s+bytes`));
    await d.remove(ref, { force: true });
  });

  it('keeps working dirs and exec paths inside the session directory', async () => {
    await expectCode(d.create({ tenant, workspace: 'w', image: 'x', workingDir: '../../etc' }), 'invalid_argument');
    const c = await d.create({ tenant, workspace: 'w', image: 'x' });
    const ref = { tenant, id: c.id };
    await d.start(ref);
    await expectCode(d.exec(ref, { cmd: ['pwd'], workingDir: '/work/../../..' }), 'invalid_argument');
    await d.exec(ref, { cmd: ['ln', '-s', '/etc', 'escape'] });
    await expectCode(d.exec(ref, { cmd: ['pwd'], workingDir: '/work/escape' }), 'invalid_argument');
    const r = await d.exec(ref, { cmd: ['pwd'], workingDir: '/output' });
    expect(r.stdout.toString().trim()).toBe(join(root, c.id, 'output'));
    expect((await readdir(join(root, c.id))).sort()).toEqual(['logs', 'output', 'state.json', 'work']);
    await d.remove(ref, { force: true });
    expect(await d.list(tenant)).toEqual([]);
  });

  it('kills the whole process tree on stop, including a process that left the group', async () => {
    const c = await d.create({ tenant, workspace: 'w', image: 'x', cmd: ['sh', '-c', 'sleep 300 & setsid sleep 301 & echo $! > /dev/null; wait'] });
    const ref = { tenant, id: c.id };
    await d.start(ref);
    const job = await d.execBackground(ref, { cmd: ['sh', '-c', 'setsid sleep 302 & echo $!; wait'] });
    let escaped = 0;
    for (let i = 0; i < 100 && !escaped; i++) {
      escaped = Number((await d.capture(ref, job.id)).stdout.toString().trim());
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await isAlive(escaped)).toBe(true);
    await d.stop(ref, { graceMs: 300 });
    expect(await isAlive(escaped)).toBe(false);
    expect((await d.inspect(ref)).status).toBe('exited');
    await d.remove(ref);
  });

  it('survives an agent restart: a new driver on the same root lists, execs and stops what runs', async () => {
    const c = await d.create({ tenant, workspace: 'w', image: 'x', name: 'survivor', cmd: ['sleep', '300'] });
    const ref = { tenant, id: c.id };
    await d.start(ref);
    const state = JSON.parse(await readFile(join(root, c.id, 'state.json'), 'utf8')) as { pid: number };
    await d.close();

    const again = new ProcessDriver({ root });
    const listed = await again.list(tenant);
    expect(listed.map((x) => [x.name, x.status])).toEqual([['survivor', 'running']]);
    expect((await again.exec({ tenant, id: 'survivor' }, { cmd: ['echo', 'still here'] })).stdout.toString()).toBe('still here\n');
    await again.stop({ tenant, id: 'survivor' }, { graceMs: 500 });
    expect(await isAlive(state.pid)).toBe(false);
    expect((await again.inspect(ref)).status).toBe('exited');
    await again.remove(ref);
    expect((await readdir(root)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    d = again;
  });

  it('reports a main process that died while no agent watched as exited', async () => {
    const c = await d.create({ tenant, workspace: 'w', image: 'x', cmd: ['sleep', '300'] });
    const ref = { tenant, id: c.id };
    await d.start(ref);
    const { pid } = JSON.parse(await readFile(join(root, c.id, 'state.json'), 'utf8')) as { pid: number };
    const fresh = new ProcessDriver({ root });
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && (await isAlive(pid)); i++) await new Promise((r) => setTimeout(r, 10));
    expect((await fresh.inspect(ref)).status).toBe('exited');
    await expectCode(fresh.exec(ref, { cmd: ['true'] }), 'conflict');
    await fresh.remove(ref);
  });

  it('refuses what it cannot enforce', async () => {
    await expectCode(d.create({ tenant, workspace: 'w', image: 'x', limits: { cpus: 1 } }), 'unsupported');
    await expectCode(d.create({ tenant, workspace: 'w', image: 'x', mounts: [{ type: 'volume', target: '/d' }] }), 'unsupported');
    await expectCode(d.create({ tenant, workspace: 'w', image: 'x', readOnlyRoot: true }), 'unsupported');
    await expectCode(d.buildImage({ context: Buffer.alloc(0), tag: 'x' }), 'unsupported');
    expect(await d.list(tenant)).toEqual([]);
  });
});
