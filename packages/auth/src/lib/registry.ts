/**
 * `~/.bosun/registry.json`: which local directory is bound to which workspace, shared by
 * every CLI process of the user. Changes go through {@link Registry.update}: a
 * read-modify-write under an exclusive file lock, written atomically 0600, so concurrent
 * processes never lose each other's entries.
 */
import { join, resolve } from 'node:path';
import type { Logger } from '@bosun/logger';
import { BosunError } from '@bosun/protocol';
import { writePrivateJsonSync, type Clock } from '@bosun/util';
import { withFileLock } from './file-lock.js';
import { readPrivateJsonSync } from './private-file.js';

/** One binding; (`directory`, `workspace`) is its key. Fields this version does not know are kept. */
export interface RegistryEntry {
  /** Absolute local directory (resolved on write). */
  directory: string;
  /** Workspace id. */
  workspace: string;
  /** The control plane the workspace lives on. */
  server?: string;
  /** The node the workspace runs on. */
  node?: string;
  /** When the entry was last written, ISO 8601 (set by {@link Registry.upsert}). */
  updatedAt?: string;
  [field: string]: unknown;
}

/** Options of {@link Registry}. */
export interface RegistryOptions {
  /** The registry file, e.g. `~/.bosun/registry.json`. */
  path: string;
  /** Longest wait for the lock, in ms (default 10 000); then `timeout`. */
  lockTimeoutMs?: number;
  /** A lock its holder stopped refreshing this long ago is stale and taken over, in ms (default 10 000). */
  staleLockMs?: number;
  /** Time source for lock deadlines and `updatedAt` (default the system clock). */
  clock?: Clock;
  /** Logger (default silent). */
  logger?: Logger;
}

interface RegistryFile {
  version: 1;
  entries: RegistryEntry[];
}

const keyOf = (e: { directory: string; workspace: string }) => `${e.workspace}\u0000${e.directory}`;

/** The file-locked registry of (directory, workspace) entries. */
export class Registry {
  /** The registry file. */
  readonly path: string;

  constructor(private readonly o: RegistryOptions) {
    this.path = o.path;
  }

  /** The registry at `<home>/.bosun/registry.json`. */
  static inHome(home: string, options: Omit<RegistryOptions, 'path'> = {}): Registry {
    return new Registry({ ...options, path: join(home, '.bosun', 'registry.json') });
  }

  /**
   * Every entry, read without the lock (the file is only ever replaced whole, so a read sees
   * one complete version).
   *
   * @throws InsecureFileError when the file is a symlink or open to other users
   */
  list(): RegistryEntry[] {
    return this.readFile().entries;
  }

  /** The entry for (`directory`, `workspace`), if any. */
  get(directory: string, workspace: string): RegistryEntry | undefined {
    const k = keyOf({ directory: resolve(directory), workspace });
    return this.list().find((e) => keyOf(e) === k);
  }

  /**
   * Runs `fn` on the current entries under the exclusive lock and writes what it returns
   * (atomically, 0600). Directories are resolved to absolute paths.
   *
   * @throws BosunError `invalid_field` when an entry lacks a directory or workspace,
   *   `invalid_argument` when two entries share a key, `timeout` when the lock is not had in time
   */
  async update(fn: (entries: RegistryEntry[]) => RegistryEntry[] | Promise<RegistryEntry[]>): Promise<RegistryEntry[]> {
    return withFileLock(
      this.path,
      async () => {
        const next = (await fn(this.readFile().entries)).map((e, i) => normalize(e, i));
        const seen = new Set<string>();
        for (const e of next) {
          const k = keyOf(e);
          if (seen.has(k)) throw BosunError.invalidArgument(`two registry entries for ${e.directory} and workspace ${e.workspace}`);
          seen.add(k);
        }
        const file: RegistryFile = { version: 1, entries: next };
        writePrivateJsonSync(this.path, file);
        return next;
      },
      { timeoutMs: this.o.lockTimeoutMs, staleMs: this.o.staleLockMs, clock: this.o.clock, logger: this.o.logger },
    );
  }

  /** Adds the entry, or merges it into the one with the same key; stamps `updatedAt`. */
  async upsert(entry: RegistryEntry): Promise<RegistryEntry> {
    const now = new Date(this.o.clock?.now() ?? Date.now()).toISOString();
    const e = { ...normalize(entry, 0), updatedAt: now };
    const k = keyOf(e);
    let merged = e;
    await this.update((entries) => {
      const i = entries.findIndex((x) => keyOf(x) === k);
      const existing = entries[i];
      if (!existing) return [...entries, e];
      merged = { ...existing, ...e };
      return entries.map((x, j) => (j === i ? merged : x));
    });
    return merged;
  }

  /** Removes the entry for (`directory`, `workspace`); true when there was one. */
  async remove(directory: string, workspace: string): Promise<boolean> {
    const k = keyOf({ directory: resolve(directory), workspace });
    let removed = false;
    await this.update((entries) => {
      const rest = entries.filter((x) => keyOf(x) !== k);
      removed = rest.length !== entries.length;
      return rest;
    });
    return removed;
  }

  private readFile(): RegistryFile {
    const doc = readPrivateJsonSync(this.path) as Partial<RegistryFile> | undefined;
    if (doc === undefined) return { version: 1, entries: [] };
    if (typeof doc !== 'object' || doc === null || doc.version !== 1 || !Array.isArray(doc.entries)) {
      throw new BosunError('invalid_field', `${this.path} is not a version 1 registry`, { details: { path: ['version'], file: this.path } });
    }
    return { version: 1, entries: doc.entries.map((e, i) => normalize(e, i)) };
  }
}

function normalize(e: unknown, i: number): RegistryEntry {
  const o = e as Partial<RegistryEntry> | null;
  if (typeof o !== 'object' || o === null) throw new BosunError('invalid_field', `registry entry ${i} is not an object`, { details: { path: ['entries', i] } });
  for (const f of ['directory', 'workspace'] as const) {
    if (typeof o[f] !== 'string' || o[f] === '') throw new BosunError('invalid_field', `registry entry ${i}: ${f} must be a non-empty string`, { details: { path: ['entries', i, f] } });
  }
  return { ...o, directory: resolve(o.directory as string) } as RegistryEntry;
}
