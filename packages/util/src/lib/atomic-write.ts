/**
 * Atomic private files: written to a temp file and renamed into place with mode 0600,
 * so a crash never leaves half a secret and no one else can read it.
 */
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** Writes `data` to `path` atomically with mode 0600, creating the directory with 0700. */
export async function writePrivateFile(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, data, { mode: 0o600, fsync: true });
}

/** {@link writePrivateFile}, synchronously (for start-up paths that cannot await). */
export function writePrivateFileSync(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
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
