import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/** Options of {@link findExecutable}. */
export interface FindExecutableOptions {
  /** The PATH string to scan (entries separated by the platform delimiter). */
  path: string;
  /** Windows executable extensions, e.g. `.EXE;.CMD` (default: none, so POSIX behaviour). */
  pathExt?: string;
  /** Path delimiter (default: `path.delimiter` of this platform). */
  delimiter?: string;
}

async function isExecutableFile(candidate: string): Promise<boolean> {
  try {
    const info = await stat(candidate);
    if (!info.isFile()) return false;
    await access(candidate, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds `name` on the given PATH like `which` does: first executable regular file
 * wins; relative and empty PATH entries are skipped (they would depend on the
 * cwd). Returns `undefined` when absent. Never reads `process.env`.
 */
export async function findExecutable(name: string, options: FindExecutableOptions): Promise<string | undefined> {
  const exts = options.pathExt ? ['', ...options.pathExt.split(';').filter(Boolean)] : [''];
  if (isAbsolute(name)) {
    for (const ext of exts) if (await isExecutableFile(name + ext)) return name + ext;
    return undefined;
  }
  const dirs = options.path.split(options.delimiter ?? delimiter).filter((dir) => dir !== '' && isAbsolute(dir));
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}
