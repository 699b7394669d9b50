/**
 * Atomic private files: written to a temp file and renamed into place with mode 0600,
 * so a crash never leaves half a secret and no one else can read it.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Thrown when the target of a private write is a symbolic link: write-file-atomic would
 * follow it, so a link planted where a secret is written would send the secret wherever
 * it points. `code` is the registered `forbidden_path`.
 */
export class SymlinkRefusedError extends Error {
  override readonly name = 'SymlinkRefusedError';
  readonly code = 'forbidden_path' as const;

  constructor(readonly path: string) {
    super(`refusing to write ${path}: it is a symbolic link`);
  }
}

const isLink = (st: { isSymbolicLink(): boolean } | undefined) => st?.isSymbolicLink() ?? false;
const missingOk = (err: NodeJS.ErrnoException) => {
  if (err.code === 'ENOENT') return undefined;
  throw err;
};

/**
 * Writes `data` to `path` atomically with mode 0600, creating the directory with 0700.
 * Refuses ({@link SymlinkRefusedError}) when `path` is a symbolic link.
 */
export async function writePrivateFile(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (isLink(await lstat(path).catch(missingOk))) throw new SymlinkRefusedError(path);
  await writeFileAtomic(path, data, { mode: 0o600, fsync: true });
}

/** {@link writePrivateFile}, synchronously (for start-up paths that cannot await). */
export function writePrivateFileSync(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(path);
  } catch (err) {
    missingOk(err as NodeJS.ErrnoException);
  }
  if (isLink(st)) throw new SymlinkRefusedError(path);
  writeFileAtomic.sync(path, data, { mode: 0o600, fsync: true });
}

/** Writes `value` as pretty JSON with a trailing newline, atomically, mode 0600. */
export async function writePrivateJson(path: string, value: unknown): Promise<void> {
  await writePrivateFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** {@link writePrivateJson}, synchronously. */
export function writePrivateJsonSync(path: string, value: unknown): void {
  writePrivateFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
