/**
 * `npm start` — the quick start: a hub and one worker on this machine.
 *
 * Uses the container engine when one answers (or can be started here), else the worker
 * falls back to its process driver. Prints the browser URL (with the admin token in the
 * fragment, which never reaches a server log) and the worker's token. Ctrl-C stops both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureEngine } from './engine.js';

const root = join(import.meta.dirname, '../..');
const port = Number(process.env.HUB_PORT ?? 8080);
const dataDir = process.env.BOSUN_QUICKSTART_DIR ?? join(root, '.bosun');
const children: ChildProcess[] = [];

function startApp(entry: string, env: NodeJS.ProcessEnv, label: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@bosun/source', join(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n').filter(Boolean)) process.stderr.write(`[${label}] ${line}\n`);
  });
  child.on('exit', (code, signal) => {
    process.stderr.write(`[${label}] exited (${signal ?? code})\n`);
    if (!stopping) stop(1);
  });
  children.push(child);
  return child;
}

async function waitForHub(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`hub did not answer at ${url} within ${timeoutMs} ms`);
}

let stopping = false;
function stop(code: number): void {
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

mkdirSync(dataDir, { recursive: true });
const engineEnv: NodeJS.ProcessEnv = {};
try {
  const engine = await ensureEngine();
  engineEnv.DOCKER_HOST = engine.dockerHost;
  process.stderr.write(`[start] container engine: ${engine.engine.name} ${engine.engine.version}\n`);
} catch (err) {
  process.stderr.write(`[start] no container engine (${(err as Error).message}); the worker uses its process driver\n`);
  engineEnv.DOCKER_HOST = 'unix:///nonexistent/bosun-no-engine.sock';
}

const hubUrl = `http://127.0.0.1:${port}`;
startApp('apps/hub/src/main.ts', { HUB_PORT: String(port), HUB_DATA_DIR: join(dataDir, 'hub'), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, 'hub');
await waitForHub(hubUrl, 30_000);
const adminToken = readFileSync(join(dataDir, 'hub', 'admin-token'), 'utf8').trim();
const res = await fetch(`${hubUrl}/api/workers`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'local' }),
});
if (!res.ok) throw new Error(`could not create a worker token: ${res.status} ${await res.text()}`);
const { token } = (await res.json()) as { workerId: string; token: string };
startApp(
  'apps/worker/src/main.ts',
  {
    ...engineEnv,
    ORCHESTRATOR_WS_URL: `ws://127.0.0.1:${port}/ws/worker`,
    WORKER_TOKEN: token,
    WORKER_NAME: 'local',
    DATA_DIR: join(dataDir, 'worker'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  },
  'worker',
);
process.stdout.write(`\nBosun is running.\n  browser: ${hubUrl}/#token=${adminToken}\n  worker token: ${token}\n  API: curl -H "Authorization: Bearer ${adminToken}" ${hubUrl}/api/workers\nCtrl-C stops the hub and the worker.\n`);
