import { DeadlineError, systemClock, withDeadline as deadline, type Clock } from '@bosun/util';

/** Outcome of {@link withDeadline}: never rejects. */
export type DeadlineResult<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'timeout' }
  | { ok: false; reason: 'error'; error: unknown };

/**
 * Races `work` against a deadline of `ms` milliseconds (util's `withDeadline`) and
 * reports the outcome instead of rejecting, so one bad probe cannot fail the others.
 *
 * @param clock - timers (default `systemClock` from `@bosun/util`, whose timers are unref'd)
 */
export async function withDeadline<T>(work: Promise<T> | (() => Promise<T>), ms: number, clock: Clock = systemClock): Promise<DeadlineResult<T>> {
  try {
    return { ok: true, value: await deadline('probe', ms, () => (typeof work === 'function' ? work() : work), { clock }) };
  } catch (error) {
    return error instanceof DeadlineError ? { ok: false, reason: 'timeout' } : { ok: false, reason: 'error', error };
  }
}
