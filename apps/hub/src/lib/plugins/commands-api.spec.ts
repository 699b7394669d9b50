import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@bosun/logger';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerTokenStore } from '../token-store.js';
import { WorkerRegistry } from '../worker-registry.js';
import { commandsApi } from './commands-api.js';

const apps: { close(): unknown }[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function api() {
  const tokens = new WorkerTokenStore(join(mkdtempSync(join(tmpdir(), 'bosun-hub-api-')), 'workers.json'));
  const registry = new WorkerRegistry({ tokens, logger: silentLogger });
  const app = Fastify();
  apps.push(app);
  await app.register(commandsApi, { adminToken: 'admin-secret', tokens, registry, logger: silentLogger });
  const auth = { authorization: 'Bearer admin-secret' };
  return { app, tokens, registry, auth };
}

describe('commandsApi', () => {
  it('answers 401 unauthorized with the error body when the admin token is missing or wrong', async () => {
    const { app } = await api();
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'admin-secret' }]) {
      const res = await app.inject({ method: 'GET', url: '/api/workers', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'unauthorized', message: 'missing or wrong token' } });
    }
  });

  it('issues a worker token with 201 and lists the worker offline when created', async () => {
    const { app, auth } = await api();
    const created = await app.inject({ method: 'POST', url: '/api/workers', headers: auth, payload: { name: 'w1' } });
    expect(created.statusCode).toBe(201);
    const { workerId } = created.json() as { workerId: string };
    const list = await app.inject({ method: 'GET', url: '/api/workers', headers: auth });
    expect(list.json()).toMatchObject({ workers: [{ workerId, name: 'w1', online: false }] });
  });

  it('answers 400 invalid_field naming the field when the body does not match its schema', async () => {
    const { app, auth } = await api();
    const res = await app.inject({ method: 'POST', url: '/api/workers', headers: auth, payload: { name: '', extra: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_field', path: expect.any(Array) } });
    const bad = await app.inject({ method: 'POST', url: '/api/workers', headers: { ...auth, 'content-type': 'application/json' }, payload: '{nope' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });

  it('answers 404 not_found when revoking or commanding an unknown worker', async () => {
    const { app, auth } = await api();
    expect((await app.inject({ method: 'DELETE', url: '/api/workers/nope', headers: auth })).json()).toMatchObject({ error: { code: 'not_found' } });
    const res = await app.inject({ method: 'POST', url: '/api/workers/nope/commands', headers: auth, payload: { type: 'images.list' } });
    expect(res.statusCode).toBe(404);
  });

  it('answers with the registry status of each code when a command cannot be sent', async () => {
    const { app, auth, tokens } = await api();
    const created = await app.inject({ method: 'POST', url: '/api/workers', headers: auth, payload: { name: 'w1' } });
    const { workerId } = created.json() as { workerId: string };
    const url = `/api/workers/${workerId}/commands`;
    const offline = await app.inject({ method: 'POST', url, headers: auth, payload: { type: 'images.list' } });
    expect([offline.statusCode, offline.json().error.code]).toEqual([503, 'offline']);
    const malformed = await app.inject({ method: 'POST', url, headers: auth, payload: { type: 'terminal.resize', tenant: 'a', terminalId: 't', cols: 0, rows: 1 } });
    expect([malformed.statusCode, malformed.json().error]).toEqual([400, expect.objectContaining({ code: 'invalid_field', path: ['cols'] })]);
    const noTenant = await app.inject({ method: 'POST', url, headers: auth, payload: { type: 'terminal.close', terminalId: 't' } });
    expect(noTenant.json().error).toMatchObject({ code: 'invalid_field', path: ['tenant'] });
    const unknown = await app.inject({ method: 'POST', url, headers: auth, payload: { type: 'worker.registered', workerId: 'x' } });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([400, 'unknown_type']);
    expect(tokens.get(workerId)).toBeDefined();
  });

  it('revokes with 204 and forgets the worker when deleted', async () => {
    const { app, auth, registry } = await api();
    const { workerId } = (await app.inject({ method: 'POST', url: '/api/workers', headers: auth, payload: { name: 'w1' } })).json() as { workerId: string };
    expect((await app.inject({ method: 'DELETE', url: `/api/workers/${workerId}`, headers: auth })).statusCode).toBe(204);
    expect(registry.get(workerId)).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/api/workers', headers: auth })).json()).toEqual({ workers: [] });
  });

  it('answers with a hint naming GET /api/workers when the worker is unknown or offline', async () => {
    const { app, auth } = await api();
    const unknown = await app.inject({ method: 'DELETE', url: '/api/workers/nope', headers: auth });
    expect(unknown.json().error.hint).toMatch(/GET \/api\/workers/);
    const { workerId } = (await app.inject({ method: 'POST', url: '/api/workers', headers: auth, payload: { name: 'w1' } })).json() as { workerId: string };
    const offline = await app.inject({ method: 'POST', url: `/api/workers/${workerId}/commands`, headers: auth, payload: { type: 'images.list' } });
    expect(offline.json().error).toMatchObject({ code: 'offline', hint: expect.stringMatching(/online/) });
  });
});
