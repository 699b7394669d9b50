import { describe, expect, it } from 'vitest';
import { DriverError } from './errors.js';
import { withDeadline } from './deadline.js';
import { toDriverError } from './engine/engine-errors.js';

describe('withDeadline', () => {
  it('rejects with a DriverError timeout naming the real deadline when the work outlives it', async () => {
    const err = await withDeadline('slow call', 20, () => new Promise(() => undefined)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({ code: 'timeout', message: 'slow call timed out after 20 ms' });
  });

  it('rejects with cancelled, not a 0 ms timeout, when the caller aborts first', async () => {
    const ac = new AbortController();
    let innerAborted = false;
    const p = withDeadline('exec x', 60_000, (signal) => new Promise(() => signal.addEventListener('abort', () => (innerAborted = true))), ac.signal);
    ac.abort();
    const err = (await p.catch((e: unknown) => e)) as { code?: string; message: string };
    expect(err.code).toBe('cancelled');
    expect(err.message).not.toMatch(/0 ms/);
    expect(innerAborted).toBe(true);
  });

  it('rejects with the abort reason when the caller aborts with an Error', async () => {
    const ac = new AbortController();
    const reason = DriverError.conflict('gone');
    const p = withDeadline('exec x', 60_000, () => new Promise(() => undefined), ac.signal);
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
  });

  it('rejects at once with cancelled when the caller signal is already aborted', async () => {
    const p = withDeadline('exec x', 60_000, () => new Promise(() => undefined), AbortSignal.abort());
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('toDriverError', () => {
  it('reports an engine call cut by its own AbortSignal.timeout as a timeout without "0 ms" when the engine never answered', () => {
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError', cause: new DOMException('timed out', 'TimeoutError') });
    const e = toDriverError(abort, 'container list');
    expect(e.code).toBe('timeout');
    expect(e.message).toBe("container list: the engine did not answer before the call's deadline");
  });

  it('keeps the DriverError a deadline aborted the request with when it is the cause', () => {
    const cause = DriverError.timeout('start', 1500);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError', cause });
    expect(toDriverError(abort, 'container c')).toBe(cause);
  });
});
