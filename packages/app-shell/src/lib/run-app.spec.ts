import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineConfig } from '@bosun/config';
import { ExitCode, runApp, type AppDefinition, type CommandDefinition } from './run-app.js';

const config = defineConfig({
  schema: z.object({ port: z.number().int().default(8080), verbose: z.boolean().default(false), token: z.string().optional() }),
  keys: { port: { env: 'PORT' }, verbose: { env: 'VERBOSE' }, token: { env: 'TOKEN', secret: true } },
});

function harness() {
  let out = '';
  let err = '';
  let logs = '';
  const logDestination = new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) });
  return {
    io: { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t), logDestination, handleSignals: false },
    out: () => out,
    err: () => err,
    logs: () => logs,
  };
}

function appSeeing(seen: unknown[]): AppDefinition<typeof config.schema> {
  return { ...commandSeeing(seen), version: '9.9.9' };
}

function commandSeeing(seen: unknown[]): CommandDefinition<typeof config.schema> {
  return {
    name: 'bosun-test',
    description: 'test app',
    config,
    configFile: { env: 'TEST_CONFIG' },
    arguments: ['[rest...]'],
    async start(ctx) {
      seen.push({ config: ctx.config, args: ctx.args });
      ctx.logger.info({ token: ctx.config.token }, 'started');
      return 0;
    },
  };
}

describe('runApp', () => {
  it('returns 0 and prints the version when given --version', async () => {
    const h = harness();
    expect(await runApp(appSeeing([]), { argv: ['--version'], env: {}, ...h.io })).toBe(ExitCode.ok);
    expect(h.out()).toBe('9.9.9\n');
  });

  it('lists every config flag with its default and env var when given --help', async () => {
    const h = harness();
    expect(await runApp(appSeeing([]), { argv: ['--help'], env: {}, ...h.io })).toBe(0);
    const help = h.out().replace(/\s+/g, ' ');
    expect(help).toContain('--port <value> port (default: 8080, env: PORT)');
    expect(help).toContain('--verbose verbose (default: false, env: VERBOSE)');
    expect(help).toContain('--log-level <value> log level: fatal|error|warn|info|debug|trace|silent (default: info, env: LOG_LEVEL)');
    expect(help).toMatch(/--config <path> YAML or JSON config file \(env: TEST_CONFIG\)/);
    expect(help).not.toContain('Environment');
  });

  it('lists a key that has no flag under Environment, without its value, when given --help', async () => {
    const h = harness();
    const secretDefault = defineConfig({
      schema: z.object({ token: z.string().default('built-in-s3cret') }),
      keys: { token: { env: 'TOKEN', flag: false, secret: true, description: 'access token' } },
    });
    const app: AppDefinition = { name: 'x', description: 'x', version: '1', config: secretDefault, start: async () => 0 };
    expect(await runApp(app, { argv: ['--help'], env: {}, ...h.io })).toBe(0);
    expect(h.out()).toMatch(/Environment \(no flag\):\n {2}TOKEN {2}access token\n/);
    expect(h.out()).not.toContain('built-in-s3cret');
  });

  it('shows examples after the options when the command has some', async () => {
    const h = harness();
    const app: AppDefinition = {
      ...appSeeing([]),
      helpNotes: 'Output is a table.',
      examples: [{ command: 'bosun-test --port 1', description: 'listen on port 1' }],
    };
    expect(await runApp(app, { argv: ['--help'], env: {}, ...h.io })).toBe(0);
    expect(h.out()).toMatch(/--help[^\n]*\n\nOutput is a table\.\n\nExamples:\n {2}# listen on port 1\n {2}\$ bosun-test --port 1\n$/);
  });

  it('returns 2 when given an unknown flag', async () => {
    const h = harness();
    expect(await runApp(appSeeing([]), { argv: ['--nope'], env: {}, ...h.io })).toBe(ExitCode.usage);
    expect(h.err()).toBe("bosun-test: unknown option '--nope'\n");
  });

  it('passes typed flags over env over the --config file to start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-shell-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'port: 1000\nverbose: true\n');
    const seen: unknown[] = [];
    const h = harness();
    const code = await runApp(appSeeing(seen), { argv: ['--port', '3000', '--config', file, 'a', 'b'], env: { PORT: '2000' }, ...h.io });
    expect(code).toBe(0);
    expect(seen[0]).toEqual({ config: { logLevel: 'info', logFormat: 'json', port: 3000, verbose: true }, args: ['a', 'b'] });
  });

  it('reads the config file named by its env var', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-shell-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, '{"port": 4000}');
    const seen: { config: { port: number } }[] = [];
    await runApp(appSeeing(seen as unknown[]), { argv: [], env: { TEST_CONFIG: file }, ...harness().io });
    expect(seen[0].config.port).toBe(4000);
  });

  it('returns 2 with the one-line config error when a value is bad', async () => {
    const h = harness();
    expect(await runApp(appSeeing([]), { argv: [], env: { PORT: 'eighty' }, ...h.io })).toBe(2);
    expect(h.err()).toMatch(/^bosun-test: config: port from env PORT: [^\n]*expected number[^\n]*\n$/);
  });

  it('never logs a secret config value', async () => {
    const h = harness();
    await runApp(appSeeing([]), { argv: [], env: { TOKEN: 's3cret-value' }, ...h.io });
    expect(h.logs()).toContain('started');
    expect(h.logs()).not.toContain('s3cret-value');
  });

  it('returns 1 and prints one prefixed line, logging no stack, when start throws at the default level', async () => {
    const h = harness();
    const app: AppDefinition = { name: 'x', description: 'x', version: '1', config, start: async () => Promise.reject(new Error('port in use')) };
    expect(await runApp(app, { argv: [], env: {}, ...h.io })).toBe(ExitCode.failure);
    expect(h.err()).toBe('x: port in use\n');
    const entry = JSON.parse(h.logs().trim().split('\n').at(-1) ?? '') as { level: number; msg: string; error: Record<string, unknown> };
    expect(entry).toMatchObject({ level: 50, msg: 'failed to start', error: { type: 'Error', message: 'port in use' } });
    expect(entry.error.stack).toBeUndefined();
    expect(h.logs()).not.toContain('run-app.spec.ts');
  });

  it('logs the stack of a failed start when the level is debug', async () => {
    const h = harness();
    const app: AppDefinition = { name: 'x', description: 'x', version: '1', config, start: async () => Promise.reject(new Error('port in use')) };
    expect(await runApp(app, { argv: ['--log-level', 'debug'], env: {}, ...h.io })).toBe(ExitCode.failure);
    expect(h.err()).toBe('x: port in use\n');
    expect(h.logs()).toContain('run-app.spec.ts');
  });

  it('exits with the code the app maps a coded error to when start throws one', async () => {
    const h = harness();
    const coded = Object.assign(new Error('no engine answers'), { code: 'engine_unavailable' });
    const app: AppDefinition = {
      name: 'x',
      description: 'x',
      version: '1',
      config,
      exitCodeOf: (e) => ((e as { code?: string }).code === 'engine_unavailable' ? 6 : undefined),
      start: async () => Promise.reject(coded),
    };
    expect(await runApp(app, { argv: [], env: {}, ...h.io })).toBe(6);
    expect(h.err()).toBe('x: no engine answers\n');
    expect(h.logs()).toContain('"code":"engine_unavailable"');
  });

  it('prints one line for a multi-line message when start throws one', async () => {
    const h = harness();
    const app: AppDefinition = { name: 'x', description: 'x', version: '1', config, start: async () => Promise.reject(new Error('first\nsecond\n')) };
    expect(await runApp(app, { argv: [], env: {}, ...h.io })).toBe(ExitCode.failure);
    expect(h.err()).toBe('x: first second\n');
  });

  it('runs the named subcommand with its own flags', async () => {
    const seen: unknown[] = [];
    const h = harness();
    const cli: AppDefinition = { name: 'bosun', description: 'cli', version: '1', commands: [{ ...commandSeeing(seen), name: 'serve', description: 'serve' }] };
    expect(await runApp(cli, { argv: ['serve', '--port', '5'], env: {}, ...h.io })).toBe(0);
    expect(seen).toHaveLength(1);
    expect(await runApp(cli, { argv: ['bogus'], env: {}, ...h.io })).toBe(2);
  });

  it('prefixes every error of a subcommand with the app name when the CLI has subcommands', async () => {
    const fail: CommandDefinition = { name: 'boom', description: 'boom', config, start: async () => Promise.reject(new Error('it broke')) };
    const cli: AppDefinition = { name: 'bosun', description: 'cli', version: '1', commands: [{ ...commandSeeing([]), name: 'serve', description: 'serve' }, fail] };
    const lines: string[] = [];
    for (const [argv, env] of [
      [['bogus'], {}],
      [['serve', '--nope'], {}],
      [['serve', '--port'], {}],
      [['serve'], { PORT: 'eighty' }],
      [['boom'], {}],
    ] as const) {
      const h = harness();
      expect(await runApp(cli, { argv: [...argv], env, ...h.io })).not.toBe(0);
      lines.push(h.err());
    }
    expect(lines).toEqual([
      "bosun: unknown command 'bogus'\n",
      "bosun: unknown option '--nope'\n",
      "bosun: option '--port <value>' argument missing\n",
      expect.stringMatching(/^bosun: config: port from env PORT: .*\n$/),
      'bosun: it broke\n',
    ]);
  });

  it('folds a suggestion onto the same line when a subcommand flag is misspelt', async () => {
    const h = harness();
    const cli: AppDefinition = { name: 'bosun', description: 'cli', version: '1', commands: [{ ...commandSeeing([]), name: 'serve', description: 'serve' }] };
    expect(await runApp(cli, { argv: ['serve', '--prot', '1'], env: {}, ...h.io })).toBe(2);
    expect(h.err()).toBe("bosun: unknown option '--prot' (Did you mean --port?)\n");
  });

  it('hands start the output writer and whether stdout is a terminal', async () => {
    const h = harness();
    const seen: boolean[] = [];
    const app: AppDefinition = {
      name: 'x',
      description: 'x',
      version: '1',
      config,
      async start(ctx) {
        seen.push(ctx.stdoutIsTTY);
        ctx.stdout('hello\n');
        return 0;
      },
    };
    await runApp(app, { argv: [], env: {}, ...h.io });
    await runApp(app, { argv: [], env: {}, ...h.io, stdoutIsTTY: true });
    expect(seen).toEqual([false, true]);
    expect(h.out()).toBe('hello\nhello\n');
  });

  it('shuts down gracefully and returns 0 when SIGTERM arrives while start is still running', async () => {
    const h = harness();
    let closed = 0;
    const app: AppDefinition = {
      name: 'x',
      description: 'x',
      version: '1',
      config,
      async start() {
        process.emit('SIGTERM', 'SIGTERM');
        return { close: async () => void (closed += 1) };
      },
    };
    expect(await runApp(app, { argv: [], env: {}, ...h.io, handleSignals: true })).toBe(ExitCode.ok);
    expect(closed).toBe(1);
    expect(h.logs()).toContain('shutting down');
  });
});

describe('runApp logs', () => {
  it('also writes JSON log lines to the app\'s log file and its tap when the app names a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-shell-logs-'));
    const h = harness();
    let tapped: string[] = [];
    const app: AppDefinition<typeof config.schema> = {
      ...appSeeing([]),
      logFile: () => join(dir, 'logs', 'app.log'),
      async start(ctx) {
        ctx.logger.info({ n: 1 }, 'hello file');
        tapped = ctx.logTap.recent();
      },
    };
    expect(await runApp(app, { argv: [], env: {}, ...h.io })).toBe(0);
    const lines = readFileSync(join(dir, 'logs', 'app.log'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({ msg: 'hello file', n: 1 });
    expect(h.logs()).toContain('hello file');
    expect(tapped.some((l) => l.includes('hello file'))).toBe(true);
  });

  it('exits 1 with one line when the log file cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-shell-logs-'));
    writeFileSync(join(dir, 'not-a-dir'), '');
    const h = harness();
    const app: AppDefinition<typeof config.schema> = { ...appSeeing([]), logFile: () => join(dir, 'not-a-dir', 'app.log') };
    expect(await runApp(app, { argv: [], env: {}, ...h.io })).toBe(1);
    expect(h.err()).toMatch(/^bosun-test: cannot write the log file .*not-a-dir\/app\.log/);
  });
});

