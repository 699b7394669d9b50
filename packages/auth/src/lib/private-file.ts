/**
 * Reading files that hold secrets (credentials, signing keys, the registry): the file is
 * opened without following a symbolic link and checked on the open descriptor, so
 * nothing can be swapped in between the check and the read.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BosunError } from '@bosun/protocol';

/**
 * Thrown when a secrets file is unsafe to trust: a symbolic link, not a regular file, owned
 * by another user, readable or writable by group or others, or in a directory others may
 * write to. Code `insecure_file`; `details.path` names the file and `details.fix` the command.
 */
export class InsecureFileError extends BosunError {
  constructor(
    readonly path: string,
    why: string,
    fix: string,
  ) {
    super('insecure_file', `refusing to read ${path}: ${why} (fix: ${fix})`, { details: { path, fix } });
  }
}

/** True when `err` is an {@link InsecureFileError}. */
export function isInsecureFile(err: unknown): err is InsecureFileError {
  return err instanceof InsecureFileError;
}

const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/**
 * The text of `path`, or undefined when it does not exist. Refuses ({@link InsecureFileError})
 * a symbolic link, a non-regular file, a file owned by another user, a file with any
 * group/other permission bit (`mode & 0o077`), or a parent directory writable by group or
 * others.
 */
export function readPrivateFileSync(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'EMLINK') throw new InsecureFileError(path, 'it is a symbolic link', `replace it with a regular file (rm ${path})`);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InsecureFileError(path, 'it is not a regular file', `rm ${path}`);
    if (uid !== undefined && st.uid !== uid) throw new InsecureFileError(path, `it is owned by uid ${st.uid}, not this user (${uid})`, `chown ${uid} ${path}`);
    if ((st.mode & 0o077) !== 0) {
      throw new InsecureFileError(path, `other users may read or write it (mode ${(st.mode & 0o777).toString(8)})`, `chmod 600 ${path}`);
    }
    const dir = dirname(path);
    const dst = lstatSync(dir);
    if ((dst.mode & 0o022) !== 0 && (dst.mode & 0o1000) === 0) {
      throw new InsecureFileError(path, `its directory ${dir} is writable by other users`, `chmod 700 ${dir}`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * {@link readPrivateFileSync}, parsed as JSON.
 *
 * @throws BosunError `invalid_json` naming the file when it is not JSON
 */
export function readPrivateJsonSync(path: string): unknown {
  const text = readPrivateFileSync(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BosunError('invalid_json', `${path} is not JSON`, { details: { path } });
  }
}
