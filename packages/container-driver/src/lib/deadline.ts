/**
 * Deadlines: every call that may hang goes through {@link withDeadline}.
 */
import { DriverError } from './errors.js';

/**
 * Runs `fn` with an AbortSignal that fires after `ms` (or when `outer` aborts) and
 * rejects with `timeout` at that moment, whether or not `fn` honours the signal.
 */
export async function withDeadline<T>(
  what: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onOuter = () => ac.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  try {
    return await Promise.race([
      fn(ac.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort(new Error('deadline'));
          reject(DriverError.timeout(what, ms));
        }, ms);
        if (outer?.aborted) reject(DriverError.timeout(`${what} (aborted)`, 0));
        outer?.addEventListener('abort', () => reject(DriverError.timeout(`${what} (aborted)`, 0)), { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}

/** A minimal async queue turning pushed values into an AsyncIterable. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiters: ((r: IteratorResult<T>) => void)[] = [];
  private failed: unknown;
  private done = false;

  constructor(private readonly onReturn?: () => void) {}

  push(item: T): void {
    if (this.done) return;
    const w = this.waiters.shift();
    if (w) w({ value: item, done: false });
    else this.items.push(item);
  }

  end(err?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.failed = err;
    for (const w of this.waiters.splice(0)) {
      if (err) this.items.length = 0;
      w({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length) return Promise.resolve({ value: this.items.shift() as T, done: false });
        if (this.done) {
          if (this.failed) {
            const e = this.failed;
            this.failed = undefined;
            return Promise.reject(e);
          }
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: () => {
        this.done = true;
        this.onReturn?.();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
