/** Options for {@link Backoff}. */
export interface BackoffOptions {
  /** First delay in ms (default 1 000). */
  initialMs?: number;
  /** Largest delay in ms (default 30 000). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Spread as a fraction of the delay, ± (default 0.2, so 1 s is 0.8–1.2 s). */
  jitter?: number;
  /** Source of randomness in [0, 1) (default Math.random), injected for tests. */
  random?: () => number;
}

/**
 * Reconnect delays: 1 s → 2 → 4 → 8 → 16 → 30 s (max), each spread by ±jitter so that a
 * fleet of workers that lost the same orchestrator does not come back in lockstep.
 * `reset()` after a connection has proved healthy.
 */
export class Backoff {
  private attempt = 0;
  private readonly o: Required<BackoffOptions>;

  constructor(options: BackoffOptions = {}) {
    this.o = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2, random: Math.random, ...options };
  }

  /** The delay before the next attempt; each call moves one step along the schedule. */
  next(): number {
    const base = Math.min(this.o.maxMs, this.o.initialMs * this.o.factor ** this.attempt);
    this.attempt += 1;
    const spread = 1 - this.o.jitter + 2 * this.o.jitter * this.o.random();
    return Math.round(Math.min(this.o.maxMs, base * spread));
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Back to the first step. */
  reset(): void {
    this.attempt = 0;
  }
}
