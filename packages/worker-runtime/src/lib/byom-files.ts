import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** The BYOM files under `~/.bosun/`: credentials.json (0600), worker.json (registration state), config.json (preferences). */
export class ByomFiles {
  constructor(readonly dir: string) {}

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

  readCredentials(): WorkerCredentials | undefined {
    return readJson<WorkerCredentials>(this.credentialsPath);
  }

  writeCredentials(c: WorkerCredentials): void {
    writeJsonPrivate(this.credentialsPath, c);
  }

  readWorkerState(): { workerId?: string; registeredAt?: string } | undefined {
    return readJson(this.workerPath);
  }

  writeWorkerState(s: { workerId?: string; registeredAt?: string }): void {
    writeJsonPrivate(this.workerPath, s);
  }
}
