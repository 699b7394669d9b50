import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writePrivateFile } from '@bosun/util';

/**
 * A small JSON document on disk: read once at start, kept in memory, written back
 * atomically (temp file + rename, mode 0600) after each change, coalesced so a burst of
 * changes costs one write. Enough for what the hub must not lose (workers and token
 * hashes): thousands of rows, changed rarely.
 */
export class JsonFileStore<T extends object> {
  private data: T;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    readonly path: string,
    empty: () => T,
  ) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      this.data = JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`hub store ${path} is unreadable: ${(e as Error).message}`, { cause: e });
      this.data = empty();
    }
  }

  /** The current document (mutate it through {@link update}). */
  get value(): Readonly<T> {
    return this.data;
  }

  /** Applies `change` and schedules a write; resolves once it is on disk. */
  update(change: (draft: T) => void): Promise<void> {
    change(this.data);
    this.dirty = true;
    // A failed write must not stop later ones: each update retries from the latest document.
    this.writing = this.writing.catch(() => undefined).then(() => this.flush());
    return this.writing;
  }

  private async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await writePrivateFile(this.path, JSON.stringify(this.data));
  }
}
