import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveScript, runCli, runCliOnTerminal } from './run-cli.test-util.js';

// Real processes: each test starts `bosun` from source (tsx), which is slow on a loaded machine.
const SLOW = 60_000;

/** A home, data dir and empty config file of its own, so nothing on this machine leaks in. */
function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-cli-'));
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, '');
  return { HOME: join(dir, 'home'), DATA_DIR: join(dir, 'data'), AGENT_CONFIG: config, ORCHESTRATOR_WS_URL: '', WORKER_TOKEN: '', NO_COLOR: '', ...extra };
}

const ESC = '\u001b';

describe('bosun --help', () => {
  it('lists only the commands that exist, with examples, when given --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: bosun /);
    const commands = r.stdout.slice(r.stdout.indexOf('Commands:'), r.stdout.indexOf('Examples:'));
    expect([...commands.matchAll(/^ {2}(\w+)/gm)].map((m) => m[1])).toEqual(['worker', 'probe', 'version', 'help']);
    expect(r.stdout).not.toMatch(/login|jobs?\b|attach/i);
    expect(r.stdout).toContain('$ bosun probe\n');
  }, SLOW);

  it("shows each flag's default and env var, the env-only token and examples when given worker --help", async () => {
    const r = await runCli(['worker', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('(default: /var/lib/bosun, env: DATA_DIR)');
    expect(help).toContain('(default: 10000, env: HEARTBEAT_INTERVAL_MS)');
    expect(help).toContain('(default: info, env: LOG_LEVEL)');
    expect(help).toMatch(/Environment \(no flag\): WORKER_TOKEN /);
    expect(help).toContain('Examples: # dial the hub of the quick start $ ORCHESTRATOR_WS_URL=');
    expect(help).not.toMatch(/login/i);
  }, SLOW);

  it('says how the output format is chosen when given probe --help', async () => {
    const r = await runCli(['probe', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--json print the worker's register payload as JSON .*\(default: false\)/);
    expect(help).toContain('a table, whether or not stdout is a terminal');
    expect(help).toContain('NO_COLOR');
    expect(help).toContain("$ bosun probe --json | jq '.capabilities.tools[].name'");
  }, SLOW);
});

describe('bosun probe', () => {
  it('prints the table without colour when stdout is a pipe', async () => {
    const r = await runCli(['probe'], isolatedEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^System\n {2}name {6}\S+\n/);
    for (const section of ['Runtimes', 'Tools', 'GPUs', 'Container engines']) expect(r.stdout).toContain(`\n\n${section}\n`);
    expect(r.stdout).toContain('  NAME ');
    expect(r.stdout).not.toContain(ESC);
  }, SLOW);

  it('prints the register payload as JSON when given --json', async () => {
    const r = await runCli(['probe', '--json'], isolatedEnv());
    expect(r.code).toBe(0);
    const payload = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(payload).sort()).toEqual(['agentVersion', 'capabilities', 'containerEngines', 'cpuCount', 'hostname', 'memoryTotal', 'mode', 'name', 'platform']);
    expect(payload.capabilities).toMatchObject({ runtimes: expect.any(Array), tools: expect.any(Array), gpus: expect.any(Array) });
  }, SLOW);

  it.skipIf(!haveScript)('colours the table when stdout is a terminal', async () => {
    const r = await runCliOnTerminal(['probe'], isolatedEnv({ TERM: 'xterm' }));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${ESC}[1mSystem${ESC}[22m\n`);
    expect(r.stdout).toContain(`${ESC}[1mContainer engines${ESC}[22m\n`);
  }, SLOW);

  it.skipIf(!haveScript)('prints no colour on a terminal when NO_COLOR is set', async () => {
    const r = await runCliOnTerminal(['probe'], isolatedEnv({ TERM: 'xterm', NO_COLOR: '1' }));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^System\n/);
    expect(r.stdout).not.toContain(ESC);
  }, SLOW);
});

describe('bosun errors', () => {
  it('exits 2 with one bosun: line and a suggestion when a flag is misspelt', async () => {
    const r = await runCli(['probe', '--jsn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("bosun: unknown option '--jsn' (Did you mean --json?)\n");
    expect(r.stdout).toBe('');
  }, SLOW);

  it('exits 2 with one bosun: line when the command is unknown', async () => {
    const r = await runCli(['login']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("bosun: unknown command 'login'\n");
  }, SLOW);

  it('exits 2 with one bosun: line naming the env var when a config value is bad', async () => {
    const r = await runCli(['probe'], { LOG_LEVEL: 'loud' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bosun: config: logLevel from env LOG_LEVEL: [^\n]*"loud"[^\n]*\n$/);
  }, SLOW);

  it('exits 1 with one bosun: line saying what to set, no stack and no login, when the worker has no orchestrator URL', async () => {
    const env = isolatedEnv();
    const r = await runCli(['worker'], env);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    const plain = lines.filter((l) => !l.startsWith('{'));
    expect(plain).toEqual([
      `bosun: no orchestrator URL: set ORCHESTRATOR_WS_URL and WORKER_TOKEN, put orchestratorUrl and token in the config file (--config or AGENT_CONFIG), or write {"orchestratorUrl","token"} to ${join(env.HOME ?? '', '.bosun/credentials.json')}`,
    ]);
    expect(lines.at(-1)).toBe(plain[0]);
    expect(r.stderr).not.toMatch(/login|\n\s+at /);
    const failed = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; level: number; error?: { stack?: string } }).find((e) => e.msg === 'failed to start');
    expect(failed).toMatchObject({ level: 50, error: { type: 'Error' } });
    expect(failed?.error?.stack).toBeUndefined();
  }, SLOW);

  it('names WORKER_TOKEN when the worker has a URL but no token', async () => {
    const r = await runCli(['worker'], isolatedEnv({ ORCHESTRATOR_WS_URL: 'ws://127.0.0.1:9/ws/worker' }));
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^bosun: no worker token: set WORKER_TOKEN, /);
  }, SLOW);

  it('logs the stack of a failed start when LOG_LEVEL is debug', async () => {
    const r = await runCli(['worker'], isolatedEnv({ LOG_LEVEL: 'debug' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('at resolveCredentials');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^bosun: no orchestrator URL: /);
  }, SLOW);
});
