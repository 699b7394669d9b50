/**
 * Benchmarks (not tests): driver calls against the Podman CLI and a bare spawn.
 *
 *   npx tsx --conditions=@bosun/source packages/container-driver/bench/run.ts
 *
 * Needs DOCKER_HOST (the engine) and, for the Podman CLI, CONTAINERS_CONF
 * (default /tmp/bosun-engine/containers.conf). Prints a Markdown table.
 */
/* eslint-disable no-console, no-restricted-properties -- a script run by people: it prints and reads its environment */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EngineDriver, ProcessDriver } from '../src/index.js';

const run = promisify(execFile);
const IMAGE = process.env.BOSUN_TEST_IMAGE ?? 'localhost/bosun-test:busybox';
const N_EXEC = Number(process.env.BENCH_N ?? 50);
const N_RUN = Number(process.env.BENCH_N_RUN ?? 15);
const cliEnv = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/tmp/bosun-engine/containers.conf' };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Medians of `a` and `b`, measured alternately (a, b, a, b, …) so that load from other
 * processes on this shared 2-core machine hits both sides alike.
 */
async function timePair(n: number, a: () => Promise<unknown>, b: () => Promise<unknown>, warmup = 3): Promise<[number, number]> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const xa: number[] = [];
  const xb: number[] = [];
  const once = async (f: () => Promise<unknown>, into: number[]) => {
    const t0 = process.hrtime.bigint();
    await f();
    into.push(Number(process.hrtime.bigint() - t0) / 1e6);
  };
  for (let i = 0; i < n; i++) {
    await once(a, xa);
    await once(b, xb);
  }
  return [median(xa), median(xb)];
}

interface Row {
  name: string;
  ours: number;
  base: number;
  baseName: string;
  goal: number;
  n: number;
}

async function engineRows(): Promise<Row[]> {
  const d = await EngineDriver.connect({ env: process.env, pingTimeoutMs: 10_000 });
  const tenant = `bench-${process.pid}`;
  const rows: Row[] = [];
  try {
    const c = await d.create({ tenant, workspace: 'bench', image: IMAGE, cmd: ['sleep', '3600'] });
    const ref = { tenant, id: c.id };
    await d.start(ref);
    const [ours, cli] = await timePair(
      N_EXEC,
      () => d.exec(ref, { cmd: ['/bin/true'] }),
      () => run('podman', ['exec', c.id, '/bin/true'], { env: cliEnv }),
    );
    rows.push({ name: 'engine: exec `/bin/true` round trip', ours, base: cli, baseName: '`podman exec`', goal: 0.5, n: N_EXEC });
    await d.remove(ref, { force: true });

    const [life, cliRun] = await timePair(
      N_RUN,
      async () => {
        const x = await d.create({ tenant, workspace: 'bench', image: IMAGE, cmd: ['/bin/true'] });
        const r = { tenant, id: x.id };
        await d.start(r);
        await d.wait(r);
        await d.remove(r);
      },
      () => run('podman', ['run', '--rm', IMAGE, '/bin/true'], { env: cliEnv }),
    );
    rows.push({ name: 'engine: create+start+wait+remove', ours: life, base: cliRun, baseName: '`podman run --rm`', goal: 1.0, n: N_RUN });
  } finally {
    for (const c of await d.list(tenant)) await d.remove({ tenant, id: c.id }, { force: true });
    await d.close();
  }
  return rows;
}

async function processRow(): Promise<Row> {
  const root = await mkdtemp(join(tmpdir(), 'bosun-bench-'));
  const d = new ProcessDriver({ root });
  const tenant = 'bench';
  try {
    const c = await d.create({
      tenant,
      workspace: 'bench',
      image: 'n/a',
      limits: { memoryBytes: 512 * 1024 * 1024, cpuSeconds: 60, fileSizeBytes: 64 * 1024 * 1024 },
    });
    const ref = { tenant, id: c.id };
    await d.start(ref);
    const n = N_EXEC * 2;
    // The baseline captures output like exec does: stdout and stderr piped, read to the end.
    const [ours, bare] = await timePair(
      n,
      () => d.exec(ref, { cmd: ['/bin/true'] }),
      () => new Promise((resolve) => spawn('/bin/true', { stdio: ['ignore', 'pipe', 'pipe'] }).once('close', resolve)),
    );
    await d.remove(ref, { force: true });
    return { name: 'process: exec `/bin/true` with rlimits', ours, base: bare, baseName: 'bare `spawn` (piped)', goal: 1.5, n };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
if (process.env.BOSUN_NO_ENGINE === '1') console.error('engine rows skipped: BOSUN_NO_ENGINE=1');
else rows.push(...(await engineRows()));
rows.push(await processRow());

const load = loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), Node ${process.version}, load average ${load}\n`);
console.log('| case | driver (median ms) | baseline | baseline (median ms) | ratio | goal | met | n |');
console.log('| --- | ---: | --- | ---: | ---: | ---: | --- | ---: |');
for (const r of rows) {
  const ratio = r.ours / r.base;
  console.log(
    `| ${r.name} | ${r.ours.toFixed(1)} | ${r.baseName} | ${r.base.toFixed(1)} | ${ratio.toFixed(2)}× | ≤ ${r.goal.toFixed(1)}× | ${ratio <= r.goal ? 'yes' : 'no'} | ${r.n} |`,
  );
}
