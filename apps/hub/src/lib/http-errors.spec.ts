import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '@bosun/logger';
import { httpStatusOf } from '@bosun/protocol';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubServer } from './hub-server.js';

const open: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of open.splice(0)) await a.close();
});

async function hub(logger: Logger = silentLogger) {
  const h = await createHubServer({ dataDir: mkdtempSync(join(tmpdir(), 'bosun-hub-err-')), logger });
  open.push(h.app);
  return { app: h.app, auth: { authorization: `Bearer ${h.adminToken}` } };
}

/** The body must be exactly the one error shape, with the registry's status for its code. */
function expectErrorShape(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, code: string) {
  expect(String(res.headers['content-type'])).toContain('application/json');
  const body = res.json() as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
  for (const k of Object.keys(body.error)) expect(['code', 'message', 'hint', 'path', 'details']).toContain(k);
  expect(res.statusCode).toBe(httpStatusOf(code));
  return body.error;
}

describe('hub error shape', () => {
  it('answers 400 invalid_json with a hint when the JSON body is malformed', async () => {
    const { app, auth } = await hub();
    const res = await app.inject({ method: 'POST', url: '/api/workers', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(expectErrorShape(res, 'invalid_json').hint).toMatch(/JSON/);
  });

  it('answers 400 invalid_json when the body is empty but says it is JSON', async () => {
    const { app, auth } = await hub();
    const res = await app.inject({ method: 'POST', url: '/api/workers', headers: { ...auth, 'content-type': 'application/json' }, payload: '' });
    expect(expectErrorShape(res, 'invalid_json').message).toMatch(/empty/);
  });

  it('answers 415 unsupported_media_type with the content-type hint when the content-type is missing or not JSON', async () => {
    const { app, auth } = await hub();
    const cases: Record<string, string>[] = [{ ...auth }, { ...auth, 'content-type': 'text/plain' }, { ...auth, 'content-type': 'application/x-www-form-urlencoded' }];
    for (const headers of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/workers', headers, payload: '{"name":"w"}' });
      const error = expectErrorShape(res, 'unsupported_media_type');
      expect(error.hint).toBe('send content-type: application/json');
      expect(error.message).toBe(headers['content-type'] ? `content-type ${headers['content-type']} is not accepted` : 'the body has no content-type');
      expect(res.statusCode).toBe(415);
    }
  });

  it('answers 413 too_large with a hint when the body is past the 2 MiB limit', async () => {
    const { app, auth } = await hub();
    const payload = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024 + 10) });
    const res = await app.inject({ method: 'POST', url: '/api/workers', headers: { ...auth, 'content-type': 'application/json' }, payload });
    expect(expectErrorShape(res, 'too_large').hint).toMatch(/2 MiB/);
  });

  it('answers 404 not_found naming the route and pointing at /api/docs when the route is unknown', async () => {
    const { app, auth } = await hub();
    for (const [method, url] of [['GET', '/api/nope'], ['POST', '/api/workers/x/nope'], ['PUT', '/api/workers'], ['DELETE', '/api/workers']] as const) {
      const res = await app.inject({ method, url, headers: auth });
      const error = expectErrorShape(res, 'not_found');
      expect(error.message).toBe(`no route ${method} ${url}`);
      expect(error.hint).toMatch(/\/api\/docs/);
    }
  });

  it('answers 404 not_found in the one shape when an unknown path is asked of the page without a token', async () => {
    const { app } = await hub();
    const res = await app.inject({ method: 'GET', url: '/no-such-file.js' });
    expectErrorShape(res, 'not_found');
  });

  it('answers 400 invalid_json in the one shape when an unknown route gets bad JSON (the body is parsed first)', async () => {
    const { app } = await hub();
    const res = await app.inject({ method: 'POST', url: '/api/nope', headers: { 'content-type': 'application/json' }, payload: '{' });
    expectErrorShape(res, 'invalid_json');
  });

  it('answers 400 invalid_argument with a hint when the URL is malformed', async () => {
    const { app, auth } = await hub();
    const res = await app.inject({ method: 'GET', url: '/api/workers/%E0%A4%A', headers: auth });
    expect(expectErrorShape(res, 'invalid_argument').hint).toMatch(/percent-encode/);
  });

  it('answers 400 invalid_field with the content-type hint when a route that reads a body gets none', async () => {
    const { app, auth } = await hub();
    const res = await app.inject({ method: 'POST', url: '/api/workers', headers: auth });
    const error = expectErrorShape(res, 'invalid_field');
    expect(error).toMatchObject({ message: 'this route needs a JSON body', hint: expect.stringContaining('content-type: application/json') });
  });

  it('keeps the 401 unauthorized body when a route needs the admin token and none is sent', async () => {
    const { app } = await hub();
    const res = await app.inject({ method: 'GET', url: '/api/workers' });
    expectErrorShape(res, 'unauthorized');
  });

  it('answers 500 internal without the thrown message and logs it when a route throws something unknown', async () => {
    const errors: unknown[] = [];
    const { app } = await hub({ ...silentLogger, error: (fields) => void errors.push(fields) });
    app.get('/boom-test', async () => {
      throw new Error('secret detail /etc/passwd');
    });
    const res = await app.inject({ method: 'GET', url: '/boom-test' });
    const error = expectErrorShape(res, 'internal');
    expect(JSON.stringify(error)).not.toContain('secret');
    expect(errors).toHaveLength(1);
  });
});
