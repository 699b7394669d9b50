/**
 * Benchmarks: throughput through the manager vs raw node-pty (1 and 10 viewers),
 * keystroke echo latency (2000 echoes each, in alternating blocks), memory per idle session. Usage:
 *   npm run bench -w @bosun/pty-manager -- [--mb 200]
 */
/* eslint-disable no-console */
import { cpus, loadavg } from 'node:os';
import nodePty from 'node-pty';
import { PtyManager } from '../src/index.js';

const mbArg = process.argv.indexOf('--mb');
const MB = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 200;
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
const CMD = ['-c', `head -c ${MB}M /dev/urandom | base64`];

async function raw(): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  await new Promise<void>((res) => {
    const p = nodePty.spawn('/bin/sh', CMD, { cols: 80, rows: 24, env: ENV, encoding: null });
    p.onData((d) => void (n += (d as unknown as Buffer).length));
    p.onExit(() => res());
  });
  return n / 1e6 / ((performance.now() - t0) / 1000);
}

async function managed(viewers: number): Promise<number> {
  const m = new PtyManager({ baseEnv: ENV, idleGraceMs: 0 });
  const t0 = performance.now();
  const s = await m.create({ command: '/bin/sh', args: CMD });
  const got = new Array<number>(viewers).fill(0);
  for (let i = 0; i < viewers; i++) s.attach({ onMessage: (msg) => void (msg.type === 'data' && (got[i] = (got[i] ?? 0) + msg.data.length)) });
  await s.waitExit();
  const secs = (performance.now() - t0) / 1000;
  if (got.some((g) => g !== s.offset)) throw new Error('a viewer missed bytes');
  await m.shutdown();
  return s.offset / 1e6 / secs;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function echoLoop(write: () => void, arm: (r: () => void) => void, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((r) => {
      arm(r);
      write();
    });
    out.push(performance.now() - t);
  }
  return out;
}

/**
 * Keystroke echo through `cat`, raw node-pty vs the manager, measured in alternating
 * blocks (with a pause between) so that both see the same machine load; each side's
 * deferred work stays inside its own block.
 */
async function echo(blocks: number, perBlock: number): Promise<{ raw: number[]; managed: number[] }> {
  const p = nodePty.spawn('/bin/cat', [], { cols: 80, rows: 24, env: ENV, encoding: null });
  let rawDone: (() => void) | null = null;
  p.onData(() => rawDone?.());
  const m = new PtyManager({ baseEnv: ENV, idleGraceMs: 0 });
  const s = await m.create({ command: '/bin/cat' });
  let mgrDone: (() => void) | null = null;
  const { viewer } = s.attach({ onMessage: (msg) => void (msg.type === 'data' && mgrDone?.()) });
  await new Promise((r) => setTimeout(r, 100));
  const raw: number[] = [];
  const managed: number[] = [];
  for (let b = 0; b < blocks; b++) {
    raw.push(...(await echoLoop(() => p.write('x'), (r) => (rawDone = r), perBlock)));
    await new Promise((r) => setTimeout(r, 20));
    managed.push(...(await echoLoop(() => viewer.write('x'), (r) => (mgrDone = r), perBlock)));
    await new Promise((r) => setTimeout(r, 20));
  }
  p.kill();
  await m.shutdown();
  return { raw, managed };
}

async function idleMemory(count: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc; // npm run bench passes --expose-gc
  gc?.();
  const before = process.memoryUsage();
  const m = new PtyManager({ baseEnv: ENV, idleGraceMs: 0 });
  for (let i = 0; i < count; i++) await m.create({ command: '/bin/cat' });
  await new Promise((r) => setTimeout(r, 300));
  gc?.();
  const after = process.memoryUsage();
  await m.shutdown();
  // arrayBuffers is part of external; counting both counted each ring twice.
  const used = (a: NodeJS.MemoryUsage): number => a.heapUsed + a.external;
  return (used(after) - used(before)) / count;
}

const rows: Array<[string, string, string, string]> = [];
// First, in a fresh heap: freed rings of earlier phases would otherwise still count in `before`.
const mem = await idleMemory(20);
const rawMBs = await raw();
const one = await managed(1);
const ten = await managed(10);
rows.push(['throughput raw node-pty', `${rawMBs.toFixed(1)} MB/s`, '1.00×', 'limit']);
rows.push(['throughput manager, 1 viewer', `${one.toFixed(1)} MB/s`, `${(one / rawMBs).toFixed(2)}×`, '≥ 0.90×']);
rows.push(['throughput manager, 10 viewers', `${ten.toFixed(1)} MB/s`, `${(ten / rawMBs).toFixed(2)}×`, '≥ 0.70×']);
const { raw: er, managed: em } = await echo(10, 200);
rows.push(['echo p50 raw / manager', `${pct(er, 50).toFixed(3)} / ${pct(em, 50).toFixed(3)} ms`, `${(pct(em, 50) / pct(er, 50)).toFixed(2)}×`, '≤ 1.10×']);
rows.push(['echo p99 raw / manager', `${pct(er, 99).toFixed(3)} / ${pct(em, 99).toFixed(3)} ms`, `${(pct(em, 99) / pct(er, 99)).toFixed(2)}×`, '≤ 1.10×']);
rows.push(['memory per idle session (JS heap + buffers, 1 MiB ring)', `${(mem / 1024 / 1024).toFixed(2)} MiB`, '', '']);

console.log(
  `pty-manager bench, ${MB} MiB of urandom as base64, ${new Date().toISOString()}, ${cpus().length} cores, ` +
    `load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')}`,
);
console.log('| measure | value | ratio | goal |\n| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
