/**
 * Logging that a flood cannot amplify: the first occurrence of a kind of event is logged
 * at once, repeats within the window are counted, and the count is logged once when the
 * window closes.
 */
import type { Logger } from '@bosun/logger';
import { systemClock, type Clock } from './clock.js';

/** Options of {@link LogThrottle}. */
export interface LogThrottleOptions {
  logger: Logger;
  /** Window in ms during which repeats of one key are only counted (default 10 000). */
  windowMs?: number;
  /** Most distinct keys tracked at once; past it, new keys share one bucket (default 64). */
  maxKeys?: number;
  clock?: Clock;
}

interface Bucket {
  count: number;
  fields: Record<string, unknown>;
  message: string;
  timer: unknown;
}

/**
 * Rate-limits warn lines per key (e.g. per connection and error code). Under a flood of
 * 20 000 malformed messages a second, one connection writes one line at the start and
 * one summary line per window, not 20 000.
 */
export class LogThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly clock: Clock;

  constructor(private readonly o: LogThrottleOptions) {
    this.windowMs = o.windowMs ?? 10_000;
    this.maxKeys = o.maxKeys ?? 64;
    this.clock = o.clock ?? systemClock;
  }

  /** Logs `message` at warn for `key`, unless `key` was logged in the current window (then counts it). */
  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const k = this.buckets.has(key) || this.buckets.size < this.maxKeys ? key : '\u0000overflow';
    const b = this.buckets.get(k);
    if (b) {
      b.count += 1;
      return;
    }
    this.o.logger.warn(fields, message);
    const bucket: Bucket = { count: 0, fields, message, timer: undefined };
    bucket.timer = this.clock.setTimeout(() => this.close(k), this.windowMs);
    this.buckets.set(k, bucket);
  }

  /** Writes pending summaries now and stops all timers (call when the connection closes). */
  flush(): void {
    for (const k of [...this.buckets.keys()]) this.close(k);
  }

  private close(key: string): void {
    const b = this.buckets.get(key);
    if (!b) return;
    this.buckets.delete(key);
    this.clock.clearTimeout(b.timer);
    if (b.count > 0) this.o.logger.warn({ ...b.fields, repeated: b.count, windowMs: this.windowMs }, `${b.message} (repeated ${b.count} more times)`);
  }
}
