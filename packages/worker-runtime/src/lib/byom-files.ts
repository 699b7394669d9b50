import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialsStore, isInsecureFile, type Credentials } from '@bosun/auth';
import { writePrivateJsonSync } from '@bosun/util';

/**
 * Writes `data` as JSON atomically (temp file + rename) with mode 0600, so a crash never
 * leaves a half-written file and no other user can read it (`writePrivateJsonSync` of `@bosun/util`).
 */
export function writeJsonPrivate(path: string, data: unknown): void {
  writePrivateJsonSync(path, data);
}

/** Reads a JSON file; undefined when it does not exist. */
export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** What `bosun login` stores for a bring-your-own-machine worker. */
export interface WorkerCredentials {
  /** Orchestrator WebSocket URL. */
  orchestratorUrl: string;
  /** The worker token (secret). */
  token: string;
  /** The worker id assigned by the control plane, when known. */
  workerId?: string;
}

/**
 * The BYOM files under `~/.bosun/`: credentials.json (0600, through `@bosun/auth`'s
 * `CredentialsStore`, which refuses a file other users could read or a symlink), worker.json
 * (registration state), config.json (preferences).
 */
export class ByomFiles {
  private readonly credentials: CredentialsStore;

  constructor(readonly dir: string) {
    this.credentials = new CredentialsStore(join(dir, 'credentials.json'));
  }

  /** `~/.bosun` under the given home directory. */
  static inHome(home: string): ByomFiles {
    return new ByomFiles(join(home, '.bosun'));
  }

  get credentialsPath(): string {
    return join(this.dir, 'credentials.json');
  }

  get workerPath(): string {
    return join(this.dir, 'worker.json');
  }

  get configPath(): string {
    return join(this.dir, 'config.json');
  }

  /**
   * The worker's fields of credentials.json, or undefined when the file is absent or holds
   * neither `orchestratorUrl` nor `token` (e.g. only the CLI's login).
   *
   * @throws InsecureFileError (code `insecure_file`) when the file is a symlink or open to other users
   */
  readCredentials(): WorkerCredentials | undefined {
    const c = this.credentials.read();
    if (!c || (c.orchestratorUrl === undefined && c.token === undefined)) return undefined;
    return { ...(c.orchestratorUrl === undefined ? {} : { orchestratorUrl: c.orchestratorUrl }), ...(c.token === undefined ? {} : { token: c.token }), ...(c.workerId === undefined ? {} : { workerId: c.workerId }) } as WorkerCredentials;
  }

  /**
   * Replaces the worker's fields of credentials.json (atomically, 0600), keeping the other
   * fields (the CLI's login) when the existing file is safe to read.
   */
  writeCredentials(c: WorkerCredentials): void {
    let kept: Credentials = {};
    try {
      kept = { ...this.credentials.read() };
      delete kept.orchestratorUrl;
      delete kept.token;
      delete kept.workerId;
    } catch (err) {
      // An unsafe or unreadable old file is replaced, not merged.
      if (!isInsecureFile(err) && (err as { code?: unknown }).code !== 'invalid_json' && (err as { code?: unknown }).code !== 'invalid_field') throw err;
    }
    this.credentials.write({ ...kept, ...c });
  }

  readWorkerState(): { workerId?: string; registeredAt?: string } | undefined {
    return readJson(this.workerPath);
  }

  writeWorkerState(s: { workerId?: string; registeredAt?: string }): void {
    writeJsonPrivate(this.workerPath, s);
  }
}
