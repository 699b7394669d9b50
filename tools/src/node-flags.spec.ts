import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shebangNodeFlags } from './node-flags.js';

describe('shebangNodeFlags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-shebang-'));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));

  it('returns the flags of an env -S node shebang', () => {
    expect(shebangNodeFlags(file('a.js', '#!/usr/bin/env -S node --max-semi-space-size=1 --foo\nrest'))).toEqual(['--max-semi-space-size=1', '--foo']);
  });

  it('returns none for a plain node shebang or no shebang', () => {
    expect(shebangNodeFlags(file('b.js', '#!/usr/bin/env node\n'))).toEqual([]);
    expect(shebangNodeFlags(file('c.js', 'console.log(1)\n'))).toEqual([]);
  });

  it('keeps the flag the worker and hub entries carry, so benches measure what operators run', () => {
    for (const app of ['worker', 'hub']) {
      expect(shebangNodeFlags(join(import.meta.dirname, '..', '..', 'apps', app, 'src', 'main.ts'))).toContain('--max-semi-space-size=1');
    }
  });
});
