import type { Clock } from './clock.js';

/** A {@link Clock} that also moves time forward, firing the timers that fall due in order. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms` and runs every timer due by then. */
  advance(ms: number): void;
}

/** A clock whose time moves only when a test says so (for tests of timers and deadlines, never wall-clock waits). */
export function manualClock(start = 0): ManualClock {
  let now = start;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let seq = 0;
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = ++seq;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      timers = timers.filter((t) => t.id !== h);
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
  };
}

