/**
 * Deadlines: every call that may hang goes through {@link withDeadline}, so a caller
 * never waits forever on a peer, an engine or a process that stopped answering.
 */
import { systemClock, type Clock } from './clock.js';

/**
 * Thrown when a deadline expires. `code` is the registered error code `timeout`, so
 * every adapter maps it without knowing this class.
 */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  readonly code = 'timeout' as const;
  readonly details: { timeoutMs: number };

  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`${what} timed out after ${timeoutMs} ms`);
    this.details = { timeoutMs };
  }
}

/** Thrown when the caller's signal aborts the call first. `code` is the registered `cancelled`. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  readonly code = 'cancelled' as const;

  constructor(readonly what: string) {
    super(`${what} was cancelled`);
  }
}

/** Options of {@link withDeadline}. */
export interface DeadlineOptions {
  /** The caller's own cancellation; rejects with {@link CancelledError} (or the signal's reason when it is an Error). */
  signal?: AbortSignal;
  /** What to throw at the deadline (default a {@link DeadlineError}). */
  onTimeout?: (what: string, ms: number) => Error;
  /** Timers (default the system clock). */
  clock?: Clock;
}

/**
 * Runs `fn` with an AbortSignal that fires after `ms` (or when `opts.signal` aborts) and
 * rejects at that moment, whether or not `fn` honours the signal.
 *
 * @param what - names the call in the error, e.g. `container.list`
 * @param ms - the deadline; must be > 0
 */
export async function withDeadline<T>(what: string, ms: number, fn: (signal: AbortSignal) => Promise<T>, opts: DeadlineOptions = {}): Promise<T> {
  const clock = opts.clock ?? systemClock;
  const ac = new AbortController();
  const outer = opts.signal;
  let timer: unknown;
  let onOuter: (() => void) | undefined;
  try {
    return await Promise.race([
      fn(ac.signal),
      new Promise<never>((_, reject) => {
        const cancelled = () => {
          const reason: unknown = outer?.reason;
          ac.abort(reason);
          reject(reason instanceof Error && reason.name !== 'AbortError' ? reason : new CancelledError(what));
        };
        if (outer?.aborted) return cancelled();
        onOuter = cancelled;
        outer?.addEventListener('abort', onOuter, { once: true });
        timer = clock.setTimeout(() => {
          const err = opts.onTimeout ? opts.onTimeout(what, ms) : new DeadlineError(what, ms);
          ac.abort(err);
          reject(err);
        }, ms);
      }),
    ]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    if (onOuter) outer?.removeEventListener('abort', onOuter);
  }
}

/** Milliseconds left until `deadlineAt` on `clock` (never negative). */
export function remainingMs(deadlineAt: number, clock: Clock = systemClock): number {
  return Math.max(0, deadlineAt - clock.now());
}
