import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apps, repoRoot, spawnApp, type RunningApp } from './spawn-app.test-util.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const running: RunningApp[] = [];
afterEach(() => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL');
});

function start(...a: Parameters<typeof spawnApp>): RunningApp {
  const r = spawnApp(...a);
  running.push(r);
  return r;
}

/** The name each app prints before every error it reports: one prefix per app. */
const errorPrefix: Record<keyof typeof apps, string> = {
  worker: 'bosun-worker',
  'node-agent': 'bosun-node-agent',
  'ssh-agent': 'bosun-ssh-agent',
  cli: 'bosun',
  hub: 'bosun-hub',
};

/** Env that lets every long-running app start on this machine without privileges. */
const startEnv = {
  DATA_DIR: '/tmp/bosun-shell-test',
  HUB_DATA_DIR: '/tmp/bosun-shell-test/hub',
  HUB_PORT: '0',
  NODE_AGENT_PORT: '0',
  // The node agent needs its id and issuer; nothing answers there, and no token is checked here.
  NODE_ID: 'node-shell-test',
  CONTROL_PLANE_URL: 'http://127.0.0.1:9',
  SSH_AGENT_PORT: '0',
  // Nothing listens there: the worker starts, then keeps redialling with backoff.
  ORCHESTRATOR_WS_URL: 'ws://127.0.0.1:9/ws/worker',
  WORKER_TOKEN: 'bwt_test',
  DOCKER_HOST: 'unix:///nonexistent/engine.sock',
};

describe.each(Object.keys(apps) as (keyof typeof apps)[])('app shell %s', (name) => {
  it('prints usage and exits 0 when given --help', async () => {
    const r = start(name, ['--help']);
    const { code } = await r.exited;
    expect(code).toBe(0);
    expect(r.stdout()).toMatch(/^Usage: bosun/);
    expect(r.stdout()).toContain('--version');
  });

  it('prints the one repo version and exits 0 when given --version', async () => {
    const r = start(name, ['--version']);
    expect((await r.exited).code).toBe(0);
    expect(r.stdout().trim()).toBe(version);
  });

  it('exits 2 with one line under the app\'s own prefix when given an unknown flag', async () => {
    const r = start(name, ['--no-such-flag']);
    expect((await r.exited).code).toBe(2);
    expect(r.stderr()).toBe(`${errorPrefix[name]}: unknown option '--no-such-flag'\n`);
  });
});

describe.each(['worker', 'node-agent', 'ssh-agent', 'hub'] as const)('long-running app %s', (name) => {
  it('stops cleanly with exit 0 when sent SIGTERM', async () => {
    const r = start(name, [], startEnv);
    await r.waitFor(/ready/);
    r.child.kill('SIGTERM');
    const { code } = await r.exited;
    expect(code).toBe(0);
    expect(r.stderr()).toContain('"msg":"stopped"');
  });

  it('stops cleanly with exit 0 when sent SIGINT', async () => {
    const r = start(name, [], startEnv);
    await r.waitFor(/ready/);
    r.child.kill('SIGINT');
    expect((await r.exited).code).toBe(0);
  });
});

describe('cli', () => {
  it('exits 2 naming the command when given an unknown command', async () => {
    const r = start('cli', ['frobnicate']);
    expect((await r.exited).code).toBe(2);
    expect(r.stderr()).toBe("bosun: unknown command 'frobnicate'\n");
  });

  it('advertises no command that is not built yet when given --help', async () => {
    const r = start('cli', ['--help']);
    expect((await r.exited).code).toBe(0);
    expect(r.stdout()).not.toMatch(/login|jobs?\b|attach/i);
  });
});

describe('worker start-up', () => {
  it('exits 1 saying how to give an orchestrator URL when none is configured', async () => {
    const r = start('worker', [], { DATA_DIR: '/tmp/bosun-shell-test', HOME: '/tmp/bosun-shell-test/home', ORCHESTRATOR_WS_URL: '' });
    expect((await r.exited).code).toBe(1);
    expect(r.stderr()).toContain('bosun-worker: no orchestrator URL: set ORCHESTRATOR_WS_URL');
    // Nothing that does not exist yet, and no stack trace before the line.
    expect(r.stderr()).not.toMatch(/bosun login|\n\s+at /);
  });
});

describe('config errors at start', () => {
  it('exits 2 with one line naming the env var when an env value is bad', async () => {
    const r = start('worker', [], { ...startEnv, AGENT_MODE: 'cloud' });
    expect((await r.exited).code).toBe(2);
    const lines = r.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/mode from env AGENT_MODE: .*"byom"\|"fleet".*got "cloud"/);
  });
});
