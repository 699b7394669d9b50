import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@bosun/logger';
import { WORKER_COMMANDS, workerProtocol, type MessageSchema } from '@bosun/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHubServer } from '../hub-server.js';
import { zodValidatorCompiler } from '../zod-type-provider.js';
import { apiDocs, buildOpenApiDocument, type JsonSchema, type OpenApiDocument } from './api-docs.js';

const open: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of open.splice(0)) await a.close();
});

async function hubDoc() {
  const h = await createHubServer({ dataDir: mkdtempSync(join(tmpdir(), 'bosun-hub-docs-')), logger: silentLogger });
  open.push(h.app);
  const res = await h.app.inject({ method: 'GET', url: '/api/docs/openapi.json' });
  expect(res.statusCode).toBe(200);
  return { hub: h, doc: res.json() as OpenApiDocument };
}

/** Required fields of a command as the zod schema says (without the envelope the hub adds). */
function zodRequired(type: string): string[] {
  const shape = (workerProtocol.types.get(type) as MessageSchema).shape as unknown as Record<string, z.ZodType>;
  return Object.entries(shape)
    .filter(([k, s]) => k !== 'v' && k !== 'id' && !s.safeParse(undefined).success)
    .map(([k]) => k)
    .sort();
}

const commandSchema = (doc: OpenApiDocument, type: string) => doc.components.schemas[`command.${type}`] as JsonSchema & { properties: Record<string, JsonSchema>; required: string[] };

describe('apiDocs', () => {
  it('lists every worker command with exactly its required fields when the document is built', async () => {
    const { doc } = await hubDoc();
    expect(doc.openapi).toBe('3.1.0');
    for (const type of WORKER_COMMANDS) {
      const s = commandSchema(doc, type);
      expect(s, type).toBeDefined();
      expect([...s.required].sort(), type).toEqual(zodRequired(type));
      expect(s.properties.type, type).toMatchObject({ const: type });
      expect(s.properties.v, type).toBeUndefined();
      expect(s.properties.id, type).toBeUndefined();
    }
    expect(commandSchema(doc, 'container.stop').properties.timeoutS).toMatchObject({ type: 'integer', minimum: 0, maximum: 3600 });
    expect(commandSchema(doc, 'container.remove').properties.force).toMatchObject({ type: 'boolean' });
    expect(commandSchema(doc, 'container.exec.background.kill').required).toContain('execId');
  });

  it('describes every field of every command in words, execId, timeoutS and force included, when the document is built', async () => {
    const { hub, doc } = await hubDoc();
    const described = (s: JsonSchema | undefined): boolean => typeof s?.description === 'string' && s.description.trim().length > 0;
    for (const type of ['container.exec.background.kill', 'container.exec.background.capture']) {
      expect(commandSchema(doc, type).properties.execId?.description, type).toMatch(/`execId` returned by `container\.exec\.background`/);
    }
    const timeoutS = commandSchema(doc, 'container.stop').properties.timeoutS?.description;
    expect(timeoutS).toMatch(/SIGTERM before SIGKILL.*\(default 10\)/);
    expect(commandSchema(doc, 'container.remove').properties.force?.description).toMatch(/running.*\(default false\)/);
    // Every property at any depth (nested objects, array items, union members) has its own
    // words. `type` at the top is the envelope's const discriminator, shown as the title.
    const undescribed: string[] = [];
    const walk = (s: unknown, path: string, top: boolean): void => {
      if (Array.isArray(s)) return s.forEach((x, i) => walk(x, `${path}[${i}]`, false));
      if (!s || typeof s !== 'object') return;
      for (const [k, x] of Object.entries(s as JsonSchema)) {
        if (k === 'properties') {
          for (const [name, field] of Object.entries(x as Record<string, JsonSchema>)) {
            if (!(top && name === 'type') && !described(field)) undescribed.push(`${path}.${name}`);
            walk(field, `${path}.${name}`, false);
          }
        } else walk(x, path, false);
      }
    };
    for (const type of WORKER_COMMANDS) {
      const s = commandSchema(doc, type);
      for (const name of zodRequired(type).filter((n) => n !== 'type')) expect(described(s.properties[name]), `${type}.${name}`).toBe(true);
      walk(s, type, true);
    }
    expect(undescribed).toEqual([]);
    // The same words reach the HTML reference a person reads.
    const page = await hub.app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.body).toContain(`<td>${String(timeoutS)}</td>`);
  });

  it('documents the commands route body as one of every command, discriminated on type', async () => {
    const { doc } = await hubDoc();
    const op = doc.paths['/api/workers/{id}/commands']?.post;
    expect(op?.security).toEqual([{ adminToken: [] }]);
    expect(op?.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    const body = op?.requestBody?.content['application/json']?.schema as { oneOf: { $ref: string }[]; discriminator: { mapping: Record<string, string> } };
    expect(body.oneOf.map((r) => r.$ref).sort()).toEqual(WORKER_COMMANDS.map((t) => `#/components/schemas/command.${t}`).sort());
    expect(Object.keys(body.discriminator.mapping).sort()).toEqual([...WORKER_COMMANDS].sort());
    const reply = op?.responses['200']?.content?.['application/json']?.schema as { oneOf: { $ref: string }[] };
    expect(reply.oneOf).toContainEqual({ $ref: '#/components/schemas/reply.container.stop.result' });
  });

  it('resolves every $ref of the document to a schema it holds', async () => {
    const { doc } = await hubDoc();
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(WORKER_COMMANDS.length);
    for (const ref of refs) {
      expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
      expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
  });

  it('judges bodies as the zod schema does when each command schema is compiled back with z.fromJSONSchema', async () => {
    const { doc } = await hubDoc();
    const base = { tenant: 't1', containerId: 'c1' };
    const samples: Record<string, unknown>[] = [
      { type: 'container.stop', ...base, timeoutS: 5 },
      { type: 'container.stop', ...base, timeoutS: -1 },
      { type: 'container.stop', ...base, timeoutS: 1.5 },
      { type: 'container.stop', ...base, extra: true },
      { type: 'container.stop', tenant: '../etc' , containerId: 'c1' },
      { type: 'container.remove', ...base, force: true },
      { type: 'container.remove', ...base, force: 'yes' },
      { type: 'container.exec.background.kill', ...base, execId: 'x-1', signal: 'SIGKILL' },
      { type: 'container.exec.background.kill', ...base, execId: 'x-1', signal: 'kill' },
      { type: 'container.exec.background.kill', ...base },
      { type: 'terminal.resize', tenant: 't1', terminalId: 'term', cols: 80, rows: 24 },
      { type: 'terminal.resize', tenant: 't1', terminalId: 'term', cols: 0, rows: 24 },
      { type: 'images.list' },
    ];
    for (const type of WORKER_COMMANDS) samples.push({ type });
    let accepted = 0;
    for (const sample of samples) {
      const type = sample.type as string;
      const compiled = z.fromJSONSchema(commandSchema(doc, type) as never);
      const fromZod = (workerProtocol.types.get(type) as MessageSchema).safeParse({ ...sample, v: 1, id: 'r1' }).success;
      expect(compiled.safeParse(sample).success, JSON.stringify(sample)).toBe(fromZod);
      if (fromZod) accepted += 1;
    }
    expect(accepted).toBeGreaterThanOrEqual(5);
  });

  it('lists the hub routes with their auth when built, and needs no token to read', async () => {
    const { doc } = await hubDoc();
    expect(doc.paths['/api/workers']?.get?.security).toEqual([{ adminToken: [] }]);
    expect(doc.paths['/api/workers']?.post?.requestBody?.content['application/json']?.schema).toMatchObject({ required: ['name'] });
    expect(doc.paths['/api/workers/{id}']?.delete?.responses['204']).toBeDefined();
    expect(doc.paths['/api/docs']?.get?.security).toBeUndefined();
    expect(doc.paths['/health']?.get).toBeDefined();
    expect(doc.paths['/ws/worker']?.get?.security).toEqual([{ workerToken: [] }]);
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) expect(op.responses.default).toBeDefined();
    expect(Object.keys(doc.paths).some((p) => p.includes('*'))).toBe(false);
  });

  it('reveals no worker id or token when workers exist', async () => {
    const { hub } = await hubDoc();
    const issued = await hub.tokens.issue('secret-box');
    for (const url of ['/api/docs', '/api/docs/openapi.json']) {
      const res = await hub.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      for (const secret of [issued.workerId, issued.token, hub.adminToken, 'secret-box']) expect(res.body).not.toContain(secret);
    }
  });

  it('serves an HTML page listing every command and its fields, without script, when /api/docs is asked', async () => {
    const { hub } = await hubDoc();
    const res = await hub.app.inject({ method: 'GET', url: '/api/docs' });
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).not.toMatch(/<script/i);
    for (const type of WORKER_COMMANDS) expect(res.body).toContain(`<code>${type}</code>`);
    expect(res.body).toContain('<code>timeoutS</code>');
  });

  it('keeps schema descriptions and moves $defs into components when a route schema has them', async () => {
    const app = Fastify();
    open.push(app);
    app.setValidatorCompiler(zodValidatorCompiler);
    await app.register(apiDocs);
    interface Tree { name: string; children: Tree[] }
    const Tree: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string().describe('a node name'), children: z.array(Tree) }));
    app.post('/x/:id', { schema: { params: z.object({ id: z.string().describe('the thing') }) }, config: { openapi: { body: Tree, summary: 'S' } } }, async () => ({}));
    const doc = (await app.inject({ method: 'GET', url: '/api/docs/openapi.json' })).json() as OpenApiDocument;
    const op = doc.paths['/x/{id}']?.post;
    expect(op?.parameters?.[0]).toMatchObject({ name: 'id', description: 'the thing' });
    expect(op?.summary).toBe('S');
    expect(JSON.stringify(op)).not.toContain('#/$defs/');
    expect(JSON.stringify(doc)).toContain('a node name');
  });

  it('leaves out HEAD, wildcard and hidden routes when built from a route list', () => {
    const doc = buildOpenApiDocument([
      { method: 'HEAD', url: '/a' },
      { method: 'GET', url: '/*' },
      { method: 'GET', url: '/secret', config: { openapi: { hidden: true } } },
      { method: ['GET', 'POST'], url: '/b' },
    ]);
    expect(Object.keys(doc.paths)).toEqual(['/b']);
    expect(Object.keys(doc.paths['/b'] ?? {})).toEqual(['get', 'post']);
  });
});
