import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);

/**
 * One pino JSON line as a line a person reads:
 * `2026-11-29T02:55:25.123Z INFO  bosun-node-agent: node agent ready port=8443`.
 * A line that is not JSON is returned as it is.
 */
export function formatLogLineAsText(line: string): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof e['time'] === 'number' ? new Date(e['time']).toISOString() : '';
  const level = (LEVEL_NAMES[e['level'] as number] ?? String(e['level'] ?? '')).padEnd(5);
  const fields = Object.entries(e)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${level} ${typeof e['name'] === 'string' ? `${e['name']}: ` : ''}${String(e['msg'] ?? '')}${fields ? ` ${fields}` : ''}`;
}

/** A sink that takes pino's JSON lines and writes them as text (`LOG_FORMAT=text`). */
export function textLogStream(write: (text: string) => void): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l) write(`${formatLogLineAsText(l)}\n`);
      cb();
    },
  });
}

/** Options of {@link RotatingFileSink}. */
export interface RotatingFileOptions {
  /** Size at which the file is rotated (default 10 MiB). */
  maxBytes?: number;
  /** Rotated files kept: `<path>.1` … `<path>.<keep>` (default 3). */
  keep?: number;
}

/**
 * Appends log lines to a file (0600, directory 0700, refused when it is a symlink) and
 * rotates it by size: `<path>` → `<path>.1` → … → `<path>.<keep>` (the oldest dropped).
 * Writes are synchronous, like the stderr sink, so a crash loses no line already logged.
 */
export class RotatingFileSink extends Writable {
  private fd: number;
  private size: number;
  private readonly maxBytes: number;
  private readonly keep: number;

  constructor(
    readonly path: string,
    o: RotatingFileOptions = {},
  ) {
    super();
    this.maxBytes = o.maxBytes ?? 10 * 1024 * 1024;
    this.keep = o.keep ?? 3;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.fd = this.open();
    this.size = fstatSync(this.fd).size;
  }

  private open(): number {
    try {
      if (lstatSync(this.path).isSymbolicLink()) throw new Error(`log file ${this.path} is a symlink; refusing to write through it`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (this.size > 0 && this.size + buf.length > this.maxBytes) this.rotate();
      writeSync(this.fd, buf);
      this.size += buf.length;
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private rotate(): void {
    closeSync(this.fd);
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch {
        /* not there yet */
      }
    }
    if (this.keep > 0) renameSync(this.path, `${this.path}.1`);
    this.fd = this.open();
    this.size = 0;
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    try {
      closeSync(this.fd);
    } catch {
      /* closed */
    }
    cb(err);
  }
}

/**
 * The app's own log lines as they are written: the last `capacity` kept (raw JSON
 * lines), and subscribers told of each new one. For a live log view (`/logs/stream`).
 * A subscriber that throws is removed.
 */
export class LogTap extends Writable {
  private readonly ring: string[] = [];
  private readonly subscribers = new Set<(line: string) => void>();
  private rest = '';

  constructor(readonly capacity = 100) {
    super();
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    const lines = (this.rest + chunk.toString()).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      this.ring.push(line);
      if (this.ring.length > this.capacity) this.ring.shift();
      for (const s of [...this.subscribers]) {
        try {
          s(line);
        } catch {
          this.subscribers.delete(s);
        }
      }
    }
    cb();
  }

  /** The last `n` lines (default all kept), oldest first. */
  recent(n = this.capacity): string[] {
    return this.ring.slice(-n);
  }

  /** Calls `fn` with every new line until the returned function is called. */
  subscribe(fn: (line: string) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}
