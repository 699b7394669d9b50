import { isErrorCode } from '@bosun/protocol';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AsyncQueue, withDeadline } from './deadline.js';
import { baseImages, followProgress } from './engine/progress.js';
import { toDriverError } from './engine/engine-errors.js';
import { DriverError, DriverErrorCode, isDriverError } from './errors.js';

const httpErr = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode, json: { message } });

describe('DriverError', () => {
  it('has a factory per code and a plain JSON form without the cause', () => {
    const cause = new Error('engine said no');
    const e = DriverError.notFound('container x', cause);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('not_found');
    expect(e.cause).toBe(cause);
    expect(e.toJSON()).toEqual({ code: 'not_found', message: 'container x not found' });
    expect(DriverError.timeout('exec', 5).code).toBe('timeout');
    expect(DriverError.conflict('x').code).toBe('conflict');
    expect(DriverError.limitInvalid('x').code).toBe('limit_invalid');
    expect(DriverError.imageNotFound('i').code).toBe('image_not_found');
    expect(DriverError.engineUnavailable('x').code).toBe('engine_unavailable');
    expect(isDriverError(e, 'not_found')).toBe(true);
    expect(isDriverError(new Error('x'))).toBe(false);
  });
});

describe('toDriverError', () => {
  it.each([
    [httpErr(404, 'no such container'), 'not_found', {}],
    [httpErr(404, 'No such image: x'), 'image_not_found', { image: 'x' }],
    [httpErr(409, 'name in use'), 'conflict', {}],
    [httpErr(500, 'container state improper'), 'conflict', {}],
    [httpErr(500, 'error setting rlimit type 7'), 'limit_invalid', {}],
    [httpErr(500, 'something else broke'), 'engine_unavailable', {}],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'engine_unavailable', {}],
  ])('maps %s to %s and keeps the engine error as cause', (err, code, ctx) => {
    const e = toDriverError(err, 'container x', ctx);
    expect(e.code).toBe(code);
    expect(e.cause).toBe(err);
  });
});

describe('followProgress', () => {
  it('rejects with the error that only appears inside the stream (Podman pull/build)', async () => {
    const s = new PassThrough();
    const p = followProgress(s, () => undefined);
    s.write('{"status":"Trying to pull localhost/x..."}\n{"error":"initializing source docker://x: pinging');
    s.end(' container registry","errorDetail":{"message":"pinging container registry"}}\n');
    await expect(p).rejects.toThrow(/pinging container registry/);
  });

  it('resolves with every line of a successful stream', async () => {
    const s = new PassThrough();
    const lines: unknown[] = [];
    const p = followProgress(s, (o) => lines.push(o));
    s.end('{"stream":"STEP 1/1"}\n{"stream":"done"}');
    expect(await p).toHaveLength(2);
    expect(lines).toHaveLength(2);
  });
});

describe('baseImages', () => {
  it('names external FROM images, not stages, scratch or ARG-built ones', () => {
    const df = 'ARG V=1\nFROM --platform=linux/amd64 localhost/base:1 AS build\nRUN x\nFROM build\nFROM scratch\nFROM img:$V\nfrom other:2\n';
    expect(baseImages(df)).toEqual(['localhost/base:1', 'other:2']);
  });
});

describe('withDeadline', () => {
  it('rejects timeout and aborts the signal when the work outlives the deadline', async () => {
    let aborted = false;
    const p = withDeadline('slow', 30, (signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))));
    await expect(p).rejects.toMatchObject({ code: 'timeout' });
    expect(aborted).toBe(true);
  });

  it('resolves when the work finishes in time', async () => {
    expect(await withDeadline('fast', 1000, async () => 42)).toBe(42);
  });
});

describe('AsyncQueue', () => {
  it('yields pushed items in order and ends', async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    setTimeout(() => {
      q.push(2);
      q.end();
    }, 5);
    const got: number[] = [];
    for await (const n of q) got.push(n);
    expect(got).toEqual([1, 2]);
  });
});

describe('DriverErrorCode registry', () => {
  it('lists every driver code in the one error registry when adapters look them up', () => {
    for (const c of Object.values(DriverErrorCode)) expect(isErrorCode(c), c).toBe(true);
  });
});
