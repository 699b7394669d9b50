/** Error a pending request ends with when no reply comes in time or the peer goes away. */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';
  constructor(
    readonly code: 'timeout' | 'disconnected' | string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface Pending<T> {
  resolve(value: T): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  onProgress?: (message: unknown) => void;
  onReply?: (value: T) => void;
}

/**
 * Requests sent to a peer and waiting for their reply, by id. Each has a deadline, so a
 * caller never waits forever on a peer that went away; `failAll` ends every one at once
 * when the connection drops.
 */
export class PendingRequests<T = unknown> {
  private readonly pending = new Map<string, Pending<T>>();

  /**
   * Registers `id` and resolves with its reply, or rejects after `timeoutMs`.
   * `onReply` (default none) sees the reply synchronously, inside {@link resolve}: a relay
   * uses it to act on a reply before the next message of the same socket is handled,
   * which a promise continuation would not guarantee.
   */
  wait(id: string, timeoutMs: number, onProgress?: (message: unknown) => void, onReply?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestFailedError('timeout', `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, onProgress, onReply });
    });
  }

  /** Delivers a reply; false when nothing waits for that id (late or unknown). */
  resolve(id: string, value: T): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.onReply?.(value);
    p.resolve(value);
    return true;
  }

  /** Ends one request with an error; false when nothing waits for that id. */
  reject(id: string, err: Error): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
    return true;
  }

  /** Passes a progress message to the request's listener; false when nothing waits for that id. */
  progress(id: string, message: unknown): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    p.onProgress?.(message);
    return true;
  }

  /** Ends every pending request with `err` (the connection dropped). */
  failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
