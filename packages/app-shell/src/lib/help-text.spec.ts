import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultOf, describeConfigKey, formatDefault, formatEnvOnlyKeys, formatExamples } from './help-text.js';

describe('defaultOf', () => {
  it('returns the default when the schema has one, under optional and pipe wrappers', () => {
    expect(defaultOf(z.number().default(10_000))).toBe(10_000);
    expect(defaultOf(z.enum(['a', 'b']).default('b'))).toBe('b');
    expect(defaultOf(z.boolean().default(false))).toBe(false);
    expect(defaultOf(z.array(z.string()).default([]))).toEqual([]);
    expect(defaultOf(z.string().default('x').optional())).toBe('x');
    expect(defaultOf(z.string().default('7').pipe(z.coerce.number()))).toBe(7);
  });

  it('returns undefined when the key is optional or required without a default', () => {
    expect(defaultOf(z.string().optional())).toBeUndefined();
    expect(defaultOf(z.string())).toBeUndefined();
  });
});

describe('formatDefault', () => {
  it('prints strings bare, lists comma-separated and an empty list as none', () => {
    expect(formatDefault('/var/lib/bosun')).toBe('/var/lib/bosun');
    expect(formatDefault('')).toBe('""');
    expect(formatDefault(['a', 'b'])).toBe('a,b');
    expect(formatDefault([])).toBe('none');
    expect(formatDefault(10_000)).toBe('10000');
    expect(formatDefault({ a: 1 })).toBe('{"a":1}');
  });
});

describe('describeConfigKey', () => {
  it('appends the default and the env var when the key has both', () => {
    expect(describeConfigKey(z.number().default(8080), { env: 'PORT', description: 'port to listen on' }, 'port')).toBe(
      'port to listen on (default: 8080, env: PORT)',
    );
  });

  it('falls back to the schema description, then the key, when the spec has none', () => {
    expect(describeConfigKey(z.string().optional().describe('from schema'), undefined, 'k')).toBe('from schema');
    expect(describeConfigKey(z.string().optional(), { env: 'K' }, 'k')).toBe('k (env: K)');
  });

  it('never shows the default when the key is secret', () => {
    expect(describeConfigKey(z.string().default('hunter2'), { env: 'TOKEN', secret: true, description: 'token' }, 'token')).toBe('token (env: TOKEN)');
  });
});

describe('formatEnvOnlyKeys', () => {
  it('aligns the descriptions in one column when given several keys', () => {
    expect(formatEnvOnlyKeys([{ env: 'A', description: 'one' }, { env: 'LONGER', description: 'two' }])).toBe(
      '\nEnvironment (no flag):\n  A       one\n  LONGER  two\n',
    );
  });

  it('returns nothing when no key is env-only', () => {
    expect(formatEnvOnlyKeys([])).toBe('');
  });
});

describe('formatExamples', () => {
  it('prints a comment line and a prompt line per example when given examples', () => {
    expect(formatExamples([{ command: 'bosun probe', description: 'a table' }, { command: 'bosun probe --json', description: 'JSON' }])).toBe(
      '\nExamples:\n  # a table\n  $ bosun probe\n\n  # JSON\n  $ bosun probe --json\n',
    );
  });

  it('returns nothing when there are no examples', () => {
    expect(formatExamples(undefined)).toBe('');
    expect(formatExamples([])).toBe('');
  });
});
