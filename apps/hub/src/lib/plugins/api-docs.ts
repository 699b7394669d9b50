/**
 * `/api/docs`: the API reference, generated from the zod schemas, never written by hand.
 *
 * - `GET /api/docs/openapi.json`: an OpenAPI 3.1 document of every HTTP route the hub
 *   has (collected as routes are added, with their zod params, query and body schemas)
 *   and of every worker command as a body of `POST /api/workers/{id}/commands`, with its
 *   reply;
 * - `GET /api/docs`: the same as a small HTML page (no script, no external asset).
 *
 * Neither needs a token: the document describes shapes and reveals no ids or secrets.
 *
 * Routes describe themselves through `config.openapi` ({@link RouteDocs}); a route
 * without it is still listed with what its schemas say.
 */
import {
  HUB_PROTOCOL_VERSION,
  WORKER_COMMANDS,
  WORKER_PROTOCOL_VERSION,
  workerProtocol,
  type MessageSchema,
} from '@bosun/protocol';
import type { FastifyPluginAsync, RouteOptions } from 'fastify';
import { z } from 'zod';

/** A JSON Schema (draft 2020-12, which OpenAPI 3.1 uses), as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** One documented response. */
export interface ResponseDocs {
  description: string;
  /** Body schema: a zod schema (converted in its output form) or a JSON Schema (default: no body). */
  schema?: z.ZodType | JsonSchema;
  /** Media type of the body (default `application/json`). */
  mediaType?: string;
}

/** What a route says about itself for the reference, in its route `config.openapi`. */
export interface RouteDocs {
  summary?: string;
  description?: string;
  /** Group in the reference (default: the path's second segment, e.g. `workers`). */
  tag?: string;
  /** Request body as documented, when it differs from the validating schema (default `schema.body`). */
  body?: z.ZodType | JsonSchema;
  /** Responses by status (default: none besides the error body). */
  responses?: Record<string, ResponseDocs>;
  /** Who may call it (default: `admin` under `/api/` except `/api/docs`, else `none`). */
  auth?: 'admin' | 'worker' | 'none';
  /** Leave the route out of the reference (default false). */
  hidden?: boolean;
}

/** The route facts the document is built from (a subset of fastify's route options). */
export interface RouteEntry {
  method: string | string[];
  url: string;
  schema?: { body?: unknown; params?: unknown; querystring?: unknown };
  config?: unknown;
  websocket?: boolean;
}

/** An OpenAPI 3.1 document (only the parts the hub fills in are typed). */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

/** One operation of {@link OpenApiDocument}. */
export interface OpenApiOperation {
  operationId: string;
  summary?: string;
  description?: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: JsonSchema[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** `info.version` (default `hub-v<HUB_PROTOCOL_VERSION>`). */
  version?: string;
}

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Every error of the hub, fastify\u2019s own included. The HTTP status is the one the error-code registry gives `code`.',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', description: 'Stable machine code (see ERROR_CODES in @bosun/protocol).' },
        message: { type: 'string', description: 'One line for people.' },
        hint: { type: 'string', description: 'What the caller can do about it, when there is something to do.' },
        path: { type: 'array', items: { type: ['string', 'number'] }, description: 'The field that failed validation (`invalid_field`).' },
        details: { type: 'object', description: 'Extra machine-readable facts.' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};

const isZod = (s: unknown): s is z.ZodType => s instanceof z.ZodType;

/**
 * A zod schema as a JSON Schema fit to sit inside an OpenAPI 3.1 document: draft
 * 2020-12, `$schema` dropped, any `$defs` moved to `components.schemas` under
 * `<name>.<def>` with their `$ref`s rewritten. Descriptions set with `.describe()` or
 * `.meta()` are kept.
 */
export function toOpenApiSchema(schema: z.ZodType, io: 'input' | 'output', name: string, components: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  const { $schema: _s, $defs, ...rest } = json;
  const defs = ($defs ?? {}) as Record<string, JsonSchema>;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [
          k,
          k === '$ref' && typeof x === 'string' && x.startsWith('#/$defs/') ? `#/components/schemas/${name}.${x.slice(8)}` : rewrite(x),
        ]),
      );
    }
    return v;
  };
  for (const [def, s] of Object.entries(defs)) components[`${name}.${def}`] = rewrite(s) as JsonSchema;
  return rewrite(rest) as JsonSchema;
}

/** A worker command's schema as sent to the HTTP API: the message without `v` and `id`. */
function commandBodySchema(type: string): z.ZodType {
  const s = workerProtocol.types.get(type) as MessageSchema | undefined;
  if (!s) throw new Error(`worker protocol has no ${type}`);
  return s.omit({ v: true, id: true } as never);
}

/**
 * The `POST /api/workers/{id}/commands` body and reply, one component per command
 * (`command.<type>`) and per reply (`reply.<type>.result`), joined by `oneOf` with a
 * discriminator on `type`. Fills `components`; returns the body and reply schemas.
 */
export function workerCommandSchemas(components: Record<string, JsonSchema>): { body: JsonSchema; reply: JsonSchema } {
  const bodies: JsonSchema[] = [];
  const replies: JsonSchema[] = [];
  const mapping: Record<string, string> = {};
  for (const type of WORKER_COMMANDS) {
    const name = `command.${type}`;
    components[name] = { title: type, ...toOpenApiSchema(commandBodySchema(type), 'input', name, components) };
    mapping[type] = `#/components/schemas/${name}`;
    bodies.push({ $ref: mapping[type] });
    const result = workerProtocol.types.get(`${type}.result`);
    if (result) {
      const rname = `reply.${type}.result`;
      components[rname] = { title: `${type}.result`, ...toOpenApiSchema(result, 'output', rname, components) };
      replies.push({ $ref: `#/components/schemas/${rname}` });
    }
  }
  return {
    body: {
      description: `A worker command (worker protocol v${WORKER_PROTOCOL_VERSION}) without \`v\` and \`id\`, which the hub adds.`,
      oneOf: bodies,
      discriminator: { propertyName: 'type', mapping },
    },
    reply: { description: "The worker's reply, as it sent it.", oneOf: replies },
  };
}

const docsOf = (r: RouteEntry): RouteDocs => ((r.config as { openapi?: RouteDocs } | undefined)?.openapi ?? {});

function defaultAuth(url: string): RouteDocs['auth'] {
  if (url.startsWith('/api/docs')) return 'none';
  if (url.startsWith('/api/')) return 'admin';
  if (url === '/ws/worker') return 'worker';
  return 'none';
}

function parametersOf(schema: unknown, where: 'path' | 'query', components: Record<string, JsonSchema>): JsonSchema[] {
  if (!isZod(schema)) return [];
  const json = toOpenApiSchema(schema, 'input', `${where}`, components);
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

/**
 * Builds the OpenAPI 3.1 document of `routes` (HEAD routes, wildcards and routes whose
 * docs say `hidden` are left out; WebSocket routes are listed as upgrades).
 */
export function buildOpenApiDocument(routes: readonly RouteEntry[], options: OpenApiOptions = {}): OpenApiDocument {
  const components: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  const commands = workerCommandSchemas(components);
  const paths: OpenApiDocument['paths'] = {};
  const errorResponse = { description: 'An error (see the Error schema).', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  for (const r of routes) {
    const docs = docsOf(r);
    if (docs.hidden || r.url.includes('*')) continue;
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of (Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toLowerCase())) {
      if (method === 'head') continue;
      const auth = docs.auth ?? defaultAuth(r.url);
      const isCommands = method === 'post' && path === '/api/workers/{id}/commands';
      const body = isCommands ? commands.body : docs.body ?? r.schema?.body;
      const op: OpenApiOperation = {
        operationId: `${method} ${path}`,
        ...(docs.summary ? { summary: docs.summary } : r.websocket ? { summary: 'WebSocket upgrade' } : {}),
        ...(docs.description ? { description: docs.description } : {}),
        tags: [docs.tag ?? (path.split('/').filter(Boolean)[1] ?? path.split('/').filter(Boolean)[0] ?? 'hub')],
        ...(auth === 'admin' ? { security: [{ adminToken: [] }] } : auth === 'worker' ? { security: [{ workerToken: [] }] } : {}),
        responses: {},
      };
      const parameters = [...parametersOf(r.schema?.params, 'path', components), ...parametersOf(r.schema?.querystring, 'query', components)];
      if (parameters.length > 0) op.parameters = parameters;
      if (body !== undefined) {
        const schema = isZod(body) ? toOpenApiSchema(body, 'input', `body.${method}.${path}`, components) : (body as JsonSchema);
        op.requestBody = { required: true, content: { 'application/json': { schema } } };
      }
      for (const [status, res] of Object.entries(docs.responses ?? {})) {
        const schema = res.schema === undefined ? undefined : isZod(res.schema) ? toOpenApiSchema(res.schema, 'output', `response.${status}.${method}.${path}`, components) : res.schema;
        op.responses[status] = { description: res.description, ...(schema ? { content: { [res.mediaType ?? 'application/json']: { schema } } } : {}) };
      }
      if (isCommands) op.responses['200'] = { description: "The worker's reply.", content: { 'application/json': { schema: commands.reply } } };
      if (Object.keys(op.responses).length === 0) op.responses['200'] = { description: r.websocket ? 'Switching protocols (101) on success.' : 'Success.' };
      op.responses.default = errorResponse;
      (paths[path] ??= {})[method] = op;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Bosun hub',
      version: options.version ?? `hub-v${HUB_PROTOCOL_VERSION}`,
      description:
        'The hub\u2019s HTTP API, generated from its zod schemas. Errors are `{"error":{"code","message","hint?"}}` with the status the ' +
        'error-code registry gives the code. Worker commands go through `POST /api/workers/{id}/commands`; their bodies are listed under ' +
        '`command.<type>` and their replies under `reply.<type>.result`.',
    },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: components,
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token (`<hub data dir>/admin-token`).' },
        workerToken: { type: 'http', scheme: 'bearer', description: 'A worker token (`bwt_…`), issued by `POST /api/workers`.' },
      },
    },
  };
}

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function typeText(s: JsonSchema): string {
  if (typeof s.const === 'string') return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((e) => JSON.stringify(e)).join(' | ');
  if (s.type === 'array') return `${typeText((s.items ?? {}) as JsonSchema)}[]`;
  if (Array.isArray(s.anyOf)) return (s.anyOf as JsonSchema[]).map(typeText).join(' | ');
  const bounds = [
    s.minimum !== undefined ? `\u2265 ${String(s.minimum)}` : '',
    s.maximum !== undefined ? `\u2264 ${String(s.maximum)}` : '',
    s.maxLength !== undefined ? `\u2264 ${String(s.maxLength)} chars` : '',
  ].filter(Boolean);
  const t = Array.isArray(s.type) ? s.type.join(' | ') : String(s.type ?? 'any');
  return bounds.length > 0 ? `${t} (${bounds.join(', ')})` : t;
}

function fieldsTable(schema: JsonSchema): string {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows = Object.entries(props).map(
    ([name, s]) =>
      `<tr><td><code>${esc(name)}</code></td><td>${esc(typeText(s))}</td><td>${required.has(name) ? 'yes' : ''}</td><td>${esc(s.description ?? '')}</td></tr>`,
  );
  return `<table><thead><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The reference as one self-contained HTML page (no script). */
export function renderApiDocsHtml(doc: OpenApiDocument): string {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const body = op.requestBody?.content['application/json']?.schema;
      const bodyText = body && !('oneOf' in body) ? fieldsTable(body) : body ? '<p>One of the worker commands below.</p>' : '';
      return (
        `<section><h3><code>${esc(method.toUpperCase())} ${esc(path)}</code></h3>` +
        `${op.summary ? `<p>${esc(op.summary)}</p>` : ''}${op.description ? `<p>${esc(op.description)}</p>` : ''}` +
        `<p class="auth">${op.security ? `auth: ${esc(Object.keys(op.security[0] ?? {})[0])}` : 'no token needed'}</p>${bodyText}</section>`
      );
    }),
  );
  const commands = Object.entries(doc.components.schemas)
    .filter(([name]) => name.startsWith('command.'))
    .map(([, s]) => `<section id="${esc(s.title)}"><h3><code>${esc(s.title)}</code></h3>${fieldsTable(s)}</section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bosun hub API</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}
code{font-size:.92em;overflow-wrap:anywhere}section{margin:1rem 0}.auth{color:#666}</style></head>
<body><h1>Bosun hub API</h1>
<p>${esc(doc.info.description)}</p>
<p>Machine-readable: <a href="/api/docs/openapi.json">/api/docs/openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p>
<h2>Routes</h2>${ops.join('\n')}
<h2>Worker commands</h2><p>Send any of these as the JSON body of <code>POST /api/workers/{id}/commands</code>.</p>${commands.join('\n')}
</body></html>`;
}

/** Options of {@link apiDocs}. */
export interface ApiDocsOptions {
  /** `info.version` of the document (default `hub-v<HUB_PROTOCOL_VERSION>`). */
  version?: string;
}

/**
 * The reference routes. Register it on the root before the plugins it documents: it
 * hooks `onRoute` at the root (not encapsulated, like fastify-plugin's `skip-override`)
 * to see every route added after it. The document is built once, at the first request.
 */
export const apiDocs: FastifyPluginAsync<ApiDocsOptions> = Object.assign(
  async (app: Parameters<FastifyPluginAsync<ApiDocsOptions>>[0], o: ApiDocsOptions) => {
    const routes: RouteEntry[] = [];
    app.addHook('onRoute', (r: RouteOptions) => {
      routes.push({ method: r.method, url: r.url, schema: r.schema as RouteEntry['schema'], config: r.config, websocket: (r as { websocket?: boolean }).websocket === true });
    });
    let doc: OpenApiDocument | undefined;
    let html: string | undefined;
    const current = (): OpenApiDocument => (doc ??= buildOpenApiDocument(routes, o.version === undefined ? {} : { version: o.version }));
    app.get('/api/docs/openapi.json', { config: { openapi: { summary: 'This document (OpenAPI 3.1).', tag: 'docs' } } }, async () => current());
    app.get('/api/docs', { config: { openapi: { summary: 'This reference as an HTML page.', tag: 'docs', responses: { 200: { description: 'HTML', mediaType: 'text/html' } } } } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send((html ??= renderApiDocsHtml(current()))),
    );
  },
  { [Symbol.for('skip-override')]: true },
) as FastifyPluginAsync<ApiDocsOptions>;
