import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in the nearest package.json above `fromUrl` (pass `import.meta.url`).
 * Works from `src/` and from `dist/` alike. Every package of the repo carries the same
 * version, so this is the version of Bosun.
 */
export function readPackageVersion(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fromUrl}`);
    dir = parent;
  }
}
