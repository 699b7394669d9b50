/**
 * `~/.bosun/credentials.json`: what `bosun login` and a bring-your-own-machine worker keep.
 * Written atomically 0600; read only when no other user could have read or changed it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BosunError } from '@bosun/protocol';
import { writePrivateJsonSync } from '@bosun/util';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { readPrivateJsonSync } from './private-file.js';

/**
 * The stored credentials. Every field is optional: the CLI's login and the worker each
 * write their own, and fields this version does not know are kept as they are.
 */
export interface Credentials {
  /** The control plane the CLI logged in to (base URL). */
  server?: string;
  /** OAuth access token (secret). */
  accessToken?: string;
  /** OAuth refresh token (secret). */
  refreshToken?: string;
  /** When the access token expires, ISO 8601. */
  expiresAt?: string;
  /** Scopes granted to the access token. */
  scopes?: string[];
  /** A BYOM worker's orchestrator WebSocket URL. */
  orchestratorUrl?: string;
  /** A BYOM worker's token (secret). */
  token?: string;
  /** The worker id the control plane assigned, when known. */
  workerId?: string;
}

const STRING_FIELDS = ['server', 'accessToken', 'refreshToken', 'expiresAt', 'orchestratorUrl', 'token', 'workerId'] as const;

/**
 * Reads and writes one credentials file. {@link CredentialsStore.read} refuses (with
 * `InsecureFileError`, code `insecure_file`) a symbolic link, a file owned by another user or
 * one with any group/other permission, naming the file and the fix (`chmod 600 <file>`).
 */
export class CredentialsStore {
  /** @param path - the credentials file, e.g. `~/.bosun/credentials.json` */
  constructor(readonly path: string) {}

  /** The store at `<home>/.bosun/credentials.json`. */
  static inHome(home: string): CredentialsStore {
    return new CredentialsStore(join(home, '.bosun', 'credentials.json'));
  }

  /**
   * The stored credentials, or undefined when there is no file.
   *
   * @throws InsecureFileError when the file is unsafe (see the class)
   * @throws BosunError `invalid_json` / `invalid_field` (with `details.path`) when it is not valid
   */
  read(): Credentials | undefined {
    const doc = readPrivateJsonSync(this.path);
    if (doc === undefined) return undefined;
    return validate(doc, this.path);
  }

  /** Replaces the file with `credentials`, atomically, mode 0600 (directory 0700). Refuses a symlink in its place. */
  write(credentials: Credentials): void {
    validate(credentials, this.path);
    writePrivateJsonSync(this.path, credentials);
  }

  /**
   * Read-modify-write under the file's lock, so the CLI and a worker updating their own
   * fields at once lose neither: `fn` gets the current credentials (`{}` when none) and
   * returns the new ones.
   */
  async update(fn: (current: Credentials) => Credentials, lock: FileLockOptions = {}): Promise<Credentials> {
    return withFileLock(
      this.path,
      () => {
        const next = fn(this.read() ?? {});
        this.write(next);
        return next;
      },
      lock,
    );
  }

  /** Deletes the file (logout). */
  clear(): void {
    rmSync(this.path, { force: true });
  }
}

function validate(doc: unknown, file: string): Credentials {
  const bad = (field: string, what: string) => new BosunError('invalid_field', `${file}: ${field} must be ${what}`, { details: { path: [field], file } });
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('(root)', 'an object');
  const o = doc as Record<string, unknown>;
  for (const f of STRING_FIELDS) if (o[f] !== undefined && typeof o[f] !== 'string') throw bad(f, 'a string');
  if (o['scopes'] !== undefined && !(Array.isArray(o['scopes']) && o['scopes'].every((s) => typeof s === 'string'))) throw bad('scopes', 'an array of strings');
  if (typeof o['expiresAt'] === 'string' && Number.isNaN(Date.parse(o['expiresAt']))) throw bad('expiresAt', 'an ISO 8601 date');
  return o as Credentials;
}
