import { readFileSync } from 'node:fs';

/**
 * The Node flags an app's entry asks for on its shebang line
 * (`#!/usr/bin/env -S node --max-semi-space-size=1` → `['--max-semi-space-size=1']`), so
 * the quick start and the benches run an app exactly as its shebang would.
 */
export function shebangNodeFlags(entry: string): string[] {
  const first = readFileSync(entry, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env\s+-S\s+node\s+(.*)$/.exec(first.trim());
  return m?.[1] ? m[1].split(/\s+/).filter((f) => f.startsWith('--')) : [];
}
