import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runApp } from '@bosun/app-shell';
import { BosunError, exitCodeOf } from '@bosun/protocol';
import { app } from './app.js';
import { runWorker } from './run-worker.test-util.js';

// Real processes: each test starts `bosun-worker` from source (tsx), which is slow on a loaded machine.
const SLOW = 60_000;

/** A home, data dir and empty config file of its own, so nothing on this machine leaks in. */
function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-worker-'));
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, '');
  return { HOME: join(dir, 'home'), DATA_DIR: join(dir, 'data'), AGENT_CONFIG: config, ORCHESTRATOR_WS_URL: '', WORKER_TOKEN: '', ...extra };
}

describe('bosun-worker', () => {
  it("shows each flag's default and env var, the env-only token and examples when given --help", async () => {
    const r = await runWorker(['--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('(default: byom, env: AGENT_MODE)');
    expect(help).toContain('(default: open, env: SECURITY_FLOOR)');
    expect(help).toContain('(default: none, env: ALLOWED_ROOTS)');
    expect(help).toMatch(/Environment \(no flag\): WORKER_TOKEN /);
    expect(help).toContain('Examples: # dial the hub of the quick start $ ORCHESTRATOR_WS_URL=');
    expect(help).not.toMatch(/login/i);
  }, SLOW);

  it('exits 2 with one bosun-worker: line when given an unknown flag', async () => {
    const r = await runWorker(['--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("bosun-worker: unknown option '--no-such-flag'\n");
  }, SLOW);

  it('exits 2 with one bosun-worker: line when a config value is bad', async () => {
    const r = await runWorker([], isolatedEnv({ HEARTBEAT_INTERVAL_MS: 'often' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bosun-worker: config: heartbeatIntervalMs from env HEARTBEAT_INTERVAL_MS: [^\n]*\n$/);
  }, SLOW);

  it('exits 1 with one bosun-worker: line naming the env vars and the credentials file, and no stack, when no orchestrator URL is set', async () => {
    const env = isolatedEnv();
    const r = await runWorker([], env);
    expect(r.code).toBe(1);
    const plain = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('{'));
    expect(plain).toEqual([
      `bosun-worker: no orchestrator URL: set ORCHESTRATOR_WS_URL and WORKER_TOKEN, put orchestratorUrl and token in the config file (--config or AGENT_CONFIG), or write {"orchestratorUrl","token"} to ${join(env.HOME ?? '', '.bosun/credentials.json')}`,
    ]);
    expect(r.stderr).not.toMatch(/login|\n\s+at /);
  }, SLOW);

  it('does not point at a credentials file when the mode is fleet', async () => {
    const r = await runWorker([], isolatedEnv({ AGENT_MODE: 'fleet', ORCHESTRATOR_WS_URL: 'ws://127.0.0.1:9/ws/worker' }));
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('bosun-worker: no worker token: set WORKER_TOKEN, put token in the config file (--config or AGENT_CONFIG)');
  }, SLOW);
});

describe('worker app', () => {
  it("exits with the registry's code and prints one line when start fails with a coded error", async () => {
    let err = '';
    const config = join(mkdtempSync(join(tmpdir(), 'bosun-worker-')), 'agent.yaml');
    writeFileSync(config, '');
    const failing = { ...app, start: async () => Promise.reject(new BosunError('engine_unavailable', 'no container engine answers')) };
    const code = await runApp(failing, {
      argv: ['--config', config],
      env: {},
      stderr: (t) => (err += t),
      stdout: () => undefined,
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
      handleSignals: false,
    });
    expect(code).toBe(exitCodeOf('engine_unavailable'));
    expect(code).not.toBe(1);
    expect(err).toBe('bosun-worker: no container engine answers\n');
  });
});
