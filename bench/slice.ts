/**
 * Benchmarks of the first end-to-end slice (hub ⇄ worker), printed as a table:
 *
 * 1. Hub capacity: N simulated workers (this process, on loopback) register and heartbeat
 *    every 10 s; at each N, the p99 round trip of commands sent through the hub's HTTP API
 *    to random workers. The hub runs pinned to one core (taskset -c 0), this generator on
 *    the other. Goal: 10 000 workers with p99 < 50 ms.
 * 2. Worker idle RSS after register (goal ≤ 60 MB), from the built dist.
 * 3. Terminal throughput, browser-less: a ws client through hub ⇄ worker ⇄ PTY in a
 *    container, against the same stream read raw from node-pty (`podman exec -t`).
 *
 * Run: `npm run bench:slice` (needs the engine: `npm run engine:start`). Flags:
 * `--steps=1000,2500,5000,10000`, `--mb=50`, `--skip=capacity,rss,terminal`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodePty from 'node-pty';
import WebSocket from 'ws';
import { WorkerTokenStore } from '../apps/hub/src/lib/token-store.js';
import { appArgs, freePort, pct, root, rssMb, sleep, startHub } from './lib.js';

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const steps = arg('steps', '1000,2500,5000,10000').split(',').map(Number);
const mb = Number(arg('mb', '50'));
const skip = new Set(arg('skip', '').split(',').filter(Boolean));
const rows: [string, string, string][] = [];

async function capacity(): Promise<void> {
  try {
    execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  } catch {
    // no taskset: the numbers are still a floor
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-bench-hub-'));
  const max = Math.max(...steps);
  const issued = await new WorkerTokenStore(join(dataDir, 'workers.json')).issueMany(Array.from({ length: max }, (_, i) => `sim-${i}`));
  const port = await freePort();
  const hub = await startHub(dataDir, port, true);
  const admin = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const sockets: WebSocket[] = [];
  const timers: NodeJS.Timeout[] = [];

  const connect = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/worker`, { headers: { authorization: `Bearer ${issued[i].token}` } });
      ws.on('error', reject);
      ws.on('open', () =>
        ws.send(
          JSON.stringify({ v: 1, type: 'worker.register', id: `reg${i}`, name: `sim-${i}`, hostname: 'sim', platform: 'linux', cpuCount: 2, memoryTotal: 1e9, containerEngines: [], agentVersion: 'bench', mode: 'fleet' }),
        ),
      );
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { type: string; id: string };
        if (m.type === 'worker.registered') {
          const beat = () => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ v: 1, type: 'worker.heartbeat', cpuUsage: 5, memoryFree: 5e8, containersRunning: 1 }));
          timers.push(setTimeout(() => (beat(), timers.push(setInterval(beat, 10_000))), Math.random() * 10_000));
          resolve();
        } else if (m.type === 'images.list') {
          ws.send(JSON.stringify({ v: 1, type: 'images.list.result', id: m.id, images: [] }));
        }
      });
      sockets.push(ws);
    });

  let connected = 0;
  for (const n of steps) {
    while (connected < n) {
      const batch = Array.from({ length: Math.min(250, n - connected) }, (_, k) => connect(connected + k));
      await Promise.all(batch);
      connected += batch.length;
    }
    await sleep(3000);
    const lat: number[] = [];
    const started = Date.now();
    let errors = 0;
    await Promise.all(
      // Four API clients in parallel: a busy operator console, not a flood.
      Array.from({ length: 4 }, async () => {
        for (let j = 0; j < 100; j++) {
          const w = issued[Math.floor(Math.random() * n)].workerId;
          const t0 = performance.now();
          const res = await fetch(`http://127.0.0.1:${port}/api/workers/${w}/commands`, {
            method: 'POST',
            headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
            body: '{"type":"images.list"}',
          });
          await res.arrayBuffer();
          if (!res.ok) errors++;
          lat.push(performance.now() - t0);
        }
      }),
    );
    const rss = rssMb(hub.pid!);
    rows.push([`hub, ${n} workers heartbeating /10 s`, `p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms (${lat.length} cmds, ${errors} errors, ${((lat.length / (Date.now() - started)) * 1000).toFixed(0)}/s)`, `hub RSS ${rss.toFixed(0)} MB`]);
    process.stderr.write(`[bench] ${rows.at(-1)!.join(' | ')}\n`);
    if (pct(lat, 99) >= 50 || errors) break;
  }
  for (const t of timers) clearTimeout(t);
  for (const s of sockets) s.terminate();
  hub.kill('SIGKILL');
}

async function workerRss(): Promise<void> {
  execFileSync('npx', ['nx', 'run-many', '-t', 'build', '-p', '@bosun/worker', '@bosun/hub'], { cwd: root, stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } });
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-bench-rss-'));
  const port = await freePort();
  const hub = await startHub(join(dataDir, 'hub'), port, false, true);
  const { token } = await new WorkerTokenStore(join(dataDir, 'hub', 'workers.json')).issue('rss');
  hub.kill('SIGKILL'); // restart so the hub reads the token written by this process
  await sleep(300);
  const hub2 = await startHub(join(dataDir, 'hub'), port, false, true);
  const worker = spawn(process.execPath, appArgs('apps/worker/dist/main.js'), {
    cwd: root,
    env: { ...process.env, ORCHESTRATOR_WS_URL: `ws://127.0.0.1:${port}/ws/worker`, WORKER_TOKEN: token, DATA_DIR: join(dataDir, 'worker'), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve) => worker.stderr!.on('data', (c: Buffer) => c.toString().includes('"registered"') && resolve()));
  await sleep(5000);
  rows.push(['worker idle RSS after register (dist)', `${rssMb(worker.pid!).toFixed(1)} MB`, 'goal ≤ 60 MB']);
  worker.kill('SIGKILL');
  hub2.kill('SIGKILL');
}

async function terminal(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-bench-term-'));
  const port = await freePort();
  const hubDir = join(dataDir, 'hub');
  const { token } = await new WorkerTokenStore(join(hubDir, 'workers.json')).issue('term');
  const hub = await startHub(hubDir, port, false);
  const admin = readFileSync(join(hubDir, 'admin-token'), 'utf8').trim();
  const worker = spawn(process.execPath, ['--import', 'tsx', '--conditions=@bosun/source', 'apps/worker/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ORCHESTRATOR_WS_URL: `ws://127.0.0.1:${port}/ws/worker`, WORKER_TOKEN: token, DATA_DIR: join(dataDir, 'worker'), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve) => worker.stderr!.on('data', (c: Buffer) => c.toString().includes('"registered"') && resolve()));
  const workerId = ((await (await fetch(`http://127.0.0.1:${port}/api/workers`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { workers: { workerId: string }[] }).workers[0].workerId;
  const cmd = async (body: object) =>
    (await (
      await fetch(`http://127.0.0.1:${port}/api/workers/${workerId}/commands`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    ).json()) as Record<string, string>;
  const { containerId } = await cmd({ type: 'container.create', tenant: 'bench', workspaceId: 'b', image: 'localhost/bosun-test:busybox', cmd: ['sleep', '3600'] });
  await cmd({ type: 'container.start', tenant: 'bench', containerId });
  const script = `head -c ${mb * 1_000_000} /dev/urandom | base64; echo BOSUN""-END`;

  const viaHub = await new Promise<number>((resolve) => {
    const q = new URLSearchParams({ worker: workerId, tenant: 'bench', container: containerId, cols: '200', rows: '50' });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/terminal?${q}`, ['bosun.v1', `bearer.${admin}`]);
    let bytes = 0;
    let t0 = 0;
    let tail = '';
    ws.on('message', (d, isBinary) => {
      if (!isBinary) {
        const m = JSON.parse(d.toString()) as { type: string };
        if (m.type === 'attached' && !t0) {
          t0 = performance.now();
          ws.send(Buffer.from(`${script}\n`));
        }
        return;
      }
      const b = d as Buffer;
      bytes += b.length;
      tail = (tail + b.toString('latin1')).slice(-64);
      if (tail.includes('BOSUN-END')) {
        ws.close();
        resolve(bytes / ((performance.now() - t0) / 1000) / 1e6);
      }
    });
  });

  const raw = await new Promise<number>((resolve) => {
    const p = nodePty.spawn('podman', ['exec', '-it', containerId, 'sh', '-c', script], { cols: 200, rows: 50, encoding: null, env: process.env as Record<string, string> });
    let bytes = 0;
    let tail = '';
    const t0 = performance.now();
    p.onData((d) => {
      const b = d as unknown as Buffer;
      bytes += b.length;
      tail = (tail + b.toString('latin1')).slice(-64);
      if (tail.includes('BOSUN-END')) resolve(bytes / ((performance.now() - t0) / 1000) / 1e6);
    });
  });
  rows.push([`terminal throughput, ${mb} MB base64 in a container`, `via hub ⇄ worker ⇄ PTY: ${viaHub.toFixed(1)} MB/s`, `raw node-pty (podman exec -t): ${raw.toFixed(1)} MB/s (${(viaHub / raw).toFixed(2)}×)`]);
  await cmd({ type: 'container.remove', tenant: 'bench', containerId, force: true });
  worker.kill('SIGKILL');
  hub.kill('SIGKILL');
}

if (!skip.has('rss')) await workerRss();
if (!skip.has('terminal')) await terminal();
if (!skip.has('capacity')) await capacity();

const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 6));
process.stdout.write(`\n| ${'measure'.padEnd(w[0])} | ${'result'.padEnd(w[1])} | ${'context'.padEnd(w[2])} |\n|${w.map((x) => '-'.repeat(x + 2)).join('|')}|\n`);
for (const r of rows) process.stdout.write(`| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |\n`);
process.exit(0);
