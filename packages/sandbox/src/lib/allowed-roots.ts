/**
 * Allowed roots: the host directories bind mounts and build contexts may come from.
 *
 * The check is made on canonical paths, never on the text of the request: every root
 * and every requested path goes through `realpath`, so a symlink anywhere on the way (a
 * root that is itself a link, `<root>/x -> /`, `..`) is followed before the containment
 * test, and the canonical path, not the requested one, is what the engine is given.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { BosunError } from '@bosun/protocol';
import { silentLogger, type Logger } from '@bosun/logger';

/**
 * True when `child` is `dir` or lies under it, comparing whole path segments (so `/r2`
 * is not inside `/r`). Both must be absolute and already canonical.
 */
export function isInsideDir(child: string, dir: string): boolean {
  const rel = relative(dir, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The canonical form of each root (`realpath`: a root may itself be a symlink). A root
 * that does not exist is left out (logged at `warn`), so it allows nothing.
 */
export async function canonicalRoots(roots: readonly string[], logger: Logger = silentLogger): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    if (!isAbsolute(root)) {
      logger.warn({ root }, 'allowed root is not absolute; ignored');
      continue;
    }
    try {
      out.push(await realpath(root));
    } catch (err) {
      logger.warn({ root, err: (err as NodeJS.ErrnoException).code }, 'allowed root cannot be resolved; ignored');
    }
  }
  return out;
}

/**
 * The canonical path of `path` when it is absolute, exists, and resolves (through every
 * symlink) inside one of `roots`; otherwise `forbidden_path`.
 *
 * A missing path is `forbidden_path` too, with the same message as a path outside the
 * roots, so the answer never tells a caller whether a host path exists.
 *
 * @param roots - canonical roots, from {@link canonicalRoots}
 * @param what - names the path in the error, e.g. `bind mount source`
 */
export async function resolveInsideRoots(path: string, roots: readonly string[], what: string): Promise<string> {
  if (typeof path !== 'string' || !isAbsolute(path)) {
    throw BosunError.forbiddenPath(`${what} ${JSON.stringify(path)} must be an absolute host path`, { path, reason: 'relative' });
  }
  let canonical: string;
  try {
    canonical = await realpath(path);
  } catch {
    throw refused(path, what);
  }
  if (!roots.some((root) => isInsideDir(canonical, root))) throw refused(path, what);
  return canonical;
}

/**
 * True when `canonical` (a path recorded earlier as canonical) still resolves to itself
 * (no component was swapped for a symlink since) and lies inside one of `roots`.
 */
export async function stillCanonicalInside(canonical: string, roots: readonly string[]): Promise<boolean> {
  if (!isAbsolute(canonical)) return false;
  let now: string;
  try {
    now = await realpath(canonical);
  } catch {
    return false;
  }
  return now === canonical && roots.some((root) => isInsideDir(now, root));
}

function refused(path: string, what: string): BosunError {
  return BosunError.forbiddenPath(`${what} ${path} does not resolve to an existing path inside the allowed roots`, { path });
}
