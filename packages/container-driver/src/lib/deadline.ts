/**
 * Deadlines: every call that may hang goes through {@link withDeadline}, the driver's
 * face of `@bosun/util`'s one implementation.
 */
import { withDeadline as utilWithDeadline } from '@bosun/util';
import { DriverError } from './errors.js';

/**
 * Runs `fn` with an AbortSignal that fires after `ms` (or when `outer` aborts) and
 * rejects at that moment, whether or not `fn` honours the signal:
 * - at the deadline with `DriverError` `timeout` ("<what> timed out after <ms> ms");
 * - when `outer` aborts first, with its reason when that is an Error, else with
 *   `@bosun/util`'s `CancelledError` (code `cancelled`). An aborted call is never
 *   reported as a timeout.
 */
export async function withDeadline<T>(
  what: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  return utilWithDeadline(what, ms, fn, { signal: outer, onTimeout: (w, m) => DriverError.timeout(w, m) });
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
