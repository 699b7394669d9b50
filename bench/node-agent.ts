/**
 * Requests per second of authenticated `GET /workspaces/{id}/tabs` on the node agent
 * (HTTPS, keep-alive, the JWKS cached after the first request), with a token the hub
 * minted; beside the same route answered with the token refused (401, no JWKS work past
 * the parse) and `/health` (no token), measured in the same run, interleaved.
 *
 * Run: `npm run bench:node-agent` (builds the hub and the node agent). Flags:
 * `--seconds=5 --rounds=3 --concurrency=16 --skip=build`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { appArgs, freePort, pollFor, root, startHub } from './lib.js';

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const seconds = Number(arg('seconds', '5'));
const rounds = Number(arg('rounds', '3'));
const concurrency = Number(arg('concurrency', '16'));
const skip = new Set(arg('skip', '').split(',').filter(Boolean));
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'bosun-bench-node-agent-'));
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => (cleanup(), process.exit(130)));

/** Requests completed in `seconds` by `concurrency` loops on one keep-alive agent; every answer must have `status`. */
async function load(port: number, ca: string, path: string, token: string | undefined, status: number): Promise<{ rps: number; p50: number; p99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca });
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  let wrong = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      const req = request({ host: '127.0.0.1', port, path, agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== status) wrong++;
          lat.push(performance.now() - t0);
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  agent.destroy();
  if (wrong) throw new Error(`${wrong} answers to ${path} were not ${status}`);
  lat.sort((a, b) => a - b);
  return { rps: lat.length / seconds, p50: lat[Math.floor(lat.length / 2)] ?? 0, p99: lat[Math.floor(lat.length * 0.99)] ?? 0 };
}

async function main(): Promise<void> {
  if (!skip.has('build')) {
    log('building @bosun/hub and @bosun/node-agent (dist)…');
    execFileSync('npx', ['nx', 'run-many', '-t', 'build', '-p', '@bosun/hub', '@bosun/node-agent'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NX_DAEMON: 'false' }, timeout: 900_000 });
  }
  const hubPort = await freePort();
  const hub = await startHub(join(dir, 'hub'), hubPort, false, true);
  children.push(hub);
  const admin = readFileSync(join(dir, 'hub', 'admin-token'), 'utf8').trim();
  const mint = async (body: object) => {
    const res = await fetch(`http://127.0.0.1:${hubPort}/api/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`mint: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const port = await freePort();
  const agentDir = join(dir, 'agent');
  const agent = spawn(process.execPath, appArgs('apps/node-agent/dist/main.js'), {
    cwd: root,
    env: { ...process.env, NODE_ID: 'bench-node', CONTROL_PLANE_URL: `http://127.0.0.1:${hubPort}`, NODE_AGENT_HOST: '127.0.0.1', NODE_AGENT_PORT: String(port), DATA_DIR: agentDir, DOCKER_HOST: `unix://${join(dir, 'none.sock')}`, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(agent);
  const ca = await pollFor('certificate', 60_000, async () => (existsSync(join(agentDir, 'tls', 'cert.pem')) ? readFileSync(join(agentDir, 'tls', 'cert.pem'), 'utf8') : undefined));
  const token = await mint({ sub: 'bench', audience: 'node-management', node: 'bench-node', workspace: 'ws-bench', ttlSec: 3600 });
  await pollFor('node agent', 60_000, async () => ((await load(port, ca, '/health', undefined, 200).catch(() => undefined)) ? true : undefined));
  const rows: Record<string, { rps: number[]; p50: number[]; p99: number[] }> = {};
  const paths: [string, string, string | undefined, number][] = [
    ['GET /health (no token)', '/health', undefined, 200],
    ['GET /workspaces/{id}/tabs, valid token (JWKS cached)', '/workspaces/ws-bench/tabs', token, 200],
    ['GET /workspaces/{id}/tabs, no token (401)', '/workspaces/ws-bench/tabs', undefined, 401],
  ];
  const load0 = loadavg();
  for (let r = 0; r < rounds; r++) {
    for (const [name, path, tok, status] of paths) {
      const m = await load(port, ca, path, tok, status);
      const row = (rows[name] ??= { rps: [], p50: [], p99: [] });
      row.rps.push(m.rps);
      row.p50.push(m.p50);
      row.p99.push(m.p99);
      log(`round ${r + 1}/${rounds} ${name}: ${m.rps.toFixed(0)} req/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms`);
    }
  }
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)] ?? 0;
  process.stdout.write(
    `\nNode agent requests, ${new Date().toISOString()}: nproc ${availableParallelism()}, load ${load0.map((x) => x.toFixed(2)).join(' ')} → ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${rounds} rounds × ${seconds} s, ${concurrency} keep-alive connections over TLS.\n\n`,
  );
  process.stdout.write('| request | req/s (median) | min–max | p50 | p99 |\n| --- | --- | --- | --- | --- |\n');
  for (const [name, r] of Object.entries(rows)) {
    process.stdout.write(`| ${name} | ${med(r.rps).toFixed(0)} | ${Math.min(...r.rps).toFixed(0)}–${Math.max(...r.rps).toFixed(0)} | ${med(r.p50).toFixed(2)} ms | ${med(r.p99).toFixed(2)} ms |\n`);
  }
}

main()
  .then(() => (cleanup(), process.exit(0)))
  .catch((err: Error) => {
    log(`failed: ${err.message}`);
    cleanup();
    process.exit(1);
  });
