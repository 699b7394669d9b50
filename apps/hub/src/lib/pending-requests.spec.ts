import { afterEach, describe, expect, it, vi } from 'vitest';
import { PendingRequests, RequestFailedError } from './pending-requests.js';

afterEach(() => vi.useRealTimers());

describe('PendingRequests', () => {
  it('resolves the waiter with the reply that echoes its id', async () => {
    const p = new PendingRequests<string>();
    const id = 'r1';
    const wait = p.wait(id, 1000);
    expect(p.resolve(id, 'ok')).toBe(true);
    await expect(wait).resolves.toBe('ok');
    expect(p.size).toBe(0);
  });

  it('rejects with timeout when no reply comes before the deadline', async () => {
    vi.useFakeTimers();
    const p = new PendingRequests();
    const wait = p.wait('a', 500);
    vi.advanceTimersByTime(501);
    await expect(wait).rejects.toMatchObject({ code: 'timeout' });
    expect(p.resolve('a', 1)).toBe(false);
  });

  it('fails every waiter when the connection drops', async () => {
    const p = new PendingRequests();
    const a = p.wait('a', 1000);
    const b = p.wait('b', 1000);
    p.failAll(new RequestFailedError('disconnected', 'worker went away'));
    await expect(a).rejects.toMatchObject({ code: 'disconnected' });
    await expect(b).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('passes progress to the listener and ignores unknown ids', async () => {
    const p = new PendingRequests();
    const seen: unknown[] = [];
    const wait = p.wait('x', 1000, (m) => seen.push(m));
    expect(p.progress('x', 'step 1')).toBe(true);
    expect(p.progress('nope', 'step')).toBe(false);
    p.resolve('x', 'done');
    await wait;
    expect(seen).toEqual(['step 1']);
  });
});
