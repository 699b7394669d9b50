import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { defineConfig, loadConfig } from './load-config.js';

const spec = defineConfig({
  schema: z.object({
    name: z.string().min(1).default('worker-1'),
    heartbeatMs: z.number().int().min(1000).default(10_000),
    mode: z.enum(['byom', 'fleet']).default('byom'),
    tmux: z.boolean().default(false),
    tags: z.array(z.string()).default([]),
    token: z.string().optional(),
  }),
  keys: {
    name: { env: 'WORKER_NAME' },
    heartbeatMs: { env: 'HEARTBEAT_MS' },
    mode: { env: 'AGENT_MODE' },
    tmux: { env: 'USE_TMUX' },
    tags: { env: 'TAGS' },
    token: { env: 'WORKER_TOKEN', secret: true },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'bosun-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses defaults when no source sets a key', () => {
    const { values, origins } = loadConfig(spec);
    expect(values).toEqual({ name: 'worker-1', heartbeatMs: 10_000, mode: 'byom', tmux: false, tags: [] });
    expect(origins.name.kind).toBe('default');
  });

  it('takes flags over env over file over defaults when all four set a key', () => {
    const yaml = file('all.yaml', 'name: from-file\nheartbeatMs: 30000\nmode: fleet\n');
    const env = { WORKER_NAME: 'from-env', HEARTBEAT_MS: '20000' };
    const { values, origins } = loadConfig(spec, { flags: { name: 'from-flag' }, env, file: { path: yaml } });
    expect(values.name).toBe('from-flag');
    expect(origins.name).toEqual({ kind: 'flag', name: '--name' });
    expect(values.heartbeatMs).toBe(20_000);
    expect(origins.heartbeatMs).toEqual({ kind: 'env', name: 'HEARTBEAT_MS' });
    expect(values.mode).toBe('fleet');
    expect(origins.mode).toEqual({ kind: 'file', name: yaml });
    expect(values.tmux).toBe(false);
    expect(origins.tmux.kind).toBe('default');
  });

  it('reads JSON files as well as YAML', () => {
    const json = file('c.json', JSON.stringify({ tags: ['a', 'b'], tmux: true }));
    expect(loadConfig(spec, { file: { path: json } }).values).toMatchObject({ tags: ['a', 'b'], tmux: true });
  });

  it('coerces env strings to numbers, booleans and lists', () => {
    const { values } = loadConfig(spec, { env: { HEARTBEAT_MS: '15000', USE_TMUX: 'yes', TAGS: 'gpu, big' } });
    expect(values).toMatchObject({ heartbeatMs: 15_000, tmux: true, tags: ['gpu', 'big'] });
  });

  it('freezes the result deeply', () => {
    const { values } = loadConfig(spec, { env: { TAGS: 'a' } });
    expect(Object.isFrozen(values)).toBe(true);
    expect(Object.isFrozen(values.tags)).toBe(true);
    expect(() => ((values as { name: string }).name = 'x')).toThrow(TypeError);
  });

  it('names the flag when a flag value is bad', () => {
    const err = errorOf(() => loadConfig(spec, { flags: { heartbeatMs: 'soon' } }));
    expect(err.code).toBe('invalid_value');
    expect(err.message).toMatch(/^config: heartbeatMs from flag --heartbeat-ms: .*expected number/);
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('names the env var when an env value is bad', () => {
    const err = errorOf(() => loadConfig(spec, { env: { AGENT_MODE: 'cloud' } }));
    expect(err.message).toMatch(/^config: mode from env AGENT_MODE: .*"byom"\|"fleet".*got "cloud"/);
    expect(err.origin).toEqual({ kind: 'env', name: 'AGENT_MODE' });
  });

  it('names the file when a file value is bad', () => {
    const p = file('bad.yaml', 'heartbeatMs: 5\n');
    const err = errorOf(() => loadConfig(spec, { file: { path: p } }));
    expect(err.message).toMatch(new RegExp(`^config: heartbeatMs from file ${p}: .*>=1000`));
  });

  it('names the default when a default itself is bad', () => {
    const broken = defineConfig({ schema: z.object({ port: z.number().max(10).default(8443) }), keys: {} });
    const err = errorOf(() => loadConfig(broken));
    expect(err.message).toMatch(/^config: port from default: /);
  });

  it('never echoes a secret value in the error', () => {
    const err = errorOf(() => loadConfig(spec, { env: { WORKER_TOKEN: '' }, flags: { token: 42 } }));
    expect(err.message).toContain('<redacted>');
    expect(err.message).not.toContain('42');
  });

  it('rejects unknown keys in a file, naming them', () => {
    const p = file('typo.yaml', 'nmae: x\n');
    const err = errorOf(() => loadConfig(spec, { file: { path: p } }));
    expect(err.code).toBe('unknown_key');
    expect(err.message).toContain('nmae');
  });

  it('skips a missing optional file but fails on a missing required one', () => {
    const missing = join(dir, 'nope.yaml');
    expect(loadConfig(spec, { file: { path: missing } }).values.name).toBe('worker-1');
    expect(errorOf(() => loadConfig(spec, { file: { path: missing, required: true } })).code).toBe('file_unreadable');
  });

  it('fails with file_invalid on malformed YAML, JSON or a non-mapping', () => {
    expect(errorOf(() => loadConfig(spec, { file: { path: file('m.yaml', 'a: [1,\n') } })).code).toBe('file_invalid');
    expect(errorOf(() => loadConfig(spec, { file: { path: file('m.json', '{') } })).code).toBe('file_invalid');
    expect(errorOf(() => loadConfig(spec, { file: { path: file('list.yaml', '- 1\n') } })).code).toBe('file_invalid');
  });

  it('fails with file_unreadable when the file cannot be read', () => {
    if (process.getuid?.() === 0) return; // root reads anything: covered by the missing-file case
    const p = file('locked.yaml', 'name: x\n');
    chmodSync(p, 0);
    expect(errorOf(() => loadConfig(spec, { file: { path: p } })).code).toBe('file_unreadable');
  });

  it('applies object-level refinements after merging', () => {
    const refined = defineConfig({
      schema: z.object({ min: z.number().default(1), max: z.number().default(2) }).refine((c) => c.min <= c.max, { message: 'min must not exceed max', path: ['min'] }),
      keys: { min: { env: 'MIN' } },
    });
    const err = errorOf(() => loadConfig(refined as never, { env: { MIN: '5' } }));
    expect(err.message).toMatch(/^config: min from env MIN: min must not exceed max/);
  });
});
