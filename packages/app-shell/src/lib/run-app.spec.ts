import { mkdtempSync, writeFileSync } from 'node:fs';
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

  it('lists every config flag with its env var when given --help', async () => {
    const h = harness();
    expect(await runApp(appSeeing([]), { argv: ['--help'], env: {}, ...h.io })).toBe(0);
    expect(h.out()).toMatch(/--port <value>.*\[env PORT\]/);
    expect(h.out()).toMatch(/--verbose .*\[env VERBOSE\]/);
    expect(h.out()).toMatch(/--config <path>.*\[env TEST_CONFIG\]/);
  });

  it('returns 2 when given an unknown flag', async () => {
    const h = harness();
    expect(await runApp(appSeeing([]), { argv: ['--nope'], env: {}, ...h.io })).toBe(ExitCode.usage);
    expect(h.err()).toContain("unknown option '--nope'");
  });

  it('passes typed flags over env over the --config file to start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-shell-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'port: 1000\nverbose: true\n');
    const seen: unknown[] = [];
    const h = harness();
    const code = await runApp(appSeeing(seen), { argv: ['--port', '3000', '--config', file, 'a', 'b'], env: { PORT: '2000' }, ...h.io });
    expect(code).toBe(0);
    expect(seen[0]).toEqual({ config: { logLevel: 'info', port: 3000, verbose: true }, args: ['a', 'b'] });
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
    expect(h.err()).toMatch(/^bosun-test: config: port from env PORT: .*expected number.*\n$/);
  });

  it('never logs a secret config value', async () => {
    const h = harness();
    await runApp(appSeeing([]), { argv: [], env: { TOKEN: 's3cret-value' }, ...h.io });
    expect(h.logs()).toContain('started');
    expect(h.logs()).not.toContain('s3cret-value');
  });

  it('returns 1 and says why when start throws', async () => {
    const h = harness();
    const app: AppDefinition = { name: 'x', description: 'x', version: '1', config, start: async () => Promise.reject(new Error('port in use')) };
    expect(await runApp(app, { argv: [], env: {}, ...h.io })).toBe(ExitCode.failure);
    expect(h.err()).toContain('x: port in use');
  });

  it('runs the named subcommand with its own flags', async () => {
    const seen: unknown[] = [];
    const h = harness();
    const cli: AppDefinition = { name: 'bosun', description: 'cli', version: '1', commands: [{ ...commandSeeing(seen), name: 'serve', description: 'serve' }] };
    expect(await runApp(cli, { argv: ['serve', '--port', '5'], env: {}, ...h.io })).toBe(0);
    expect(seen).toHaveLength(1);
    expect(await runApp(cli, { argv: ['bogus'], env: {}, ...h.io })).toBe(2);
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
