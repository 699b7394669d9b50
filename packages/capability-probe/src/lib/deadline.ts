import { systemClock, type Clock } from '@bosun/util';

/** Outcome of {@link withDeadline}: never rejects. */
export type DeadlineResult<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'timeout' }
  | { ok: false; reason: 'error'; error: unknown };

/**
 * Races `work` against a timer of `ms` milliseconds. Never rejects, so one bad
 * probe cannot fail the others. The timer is unref'd and cleared on settle, so it
 * neither keeps the process alive nor leaks.
 *
 * @param clock - timers (default `systemClock` from `@bosun/util`, whose timers are unref'd)
 */
export function withDeadline<T>(work: Promise<T> | (() => Promise<T>), ms: number, clock: Clock = systemClock): Promise<DeadlineResult<T>> {
  return new Promise((resolve) => {
    let settled = false;
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      resolve({ ok: false, reason: 'timeout' });
    }, ms);
    let promise: Promise<T>;
    try {
      promise = typeof work === 'function' ? work() : work;
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve({ ok: true, value });
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve({ ok: false, reason: 'error', error });
      },
    );
  });
}
