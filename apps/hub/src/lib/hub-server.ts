import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { parseMessage, workerProtocol, WORKER_COMMANDS, WORKER_PROTOCOL_VERSION as V, type WorkerCommand } from '@bosun/protocol';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { writePrivateFile } from './file-store.js';
import { RequestFailedError } from './pending-requests.js';
import { TerminalRelay, type TerminalClient } from './terminal-relay.js';
import { WorkerTokenStore } from './token-store.js';
import { rawBytes, WorkerRegistry } from './worker-registry.js';

/** Options of {@link createHubServer}. */
export interface HubServerOptions {
  dataDir: string;
  logger: Logger;
  /** Admin token for the HTTP API and browser page (default: read from or created in `<dataDir>/admin-token`). */
  adminToken?: string;
  /** Largest message accepted from a worker in bytes (default 4 MiB). */
  maxMessageBytes?: number;
}

/** The running hub's parts, for the app and tests. */
export interface Hub {
  app: FastifyInstance;
  registry: WorkerRegistry;
  tokens: WorkerTokenStore;
  adminToken: string;
}

const publicDir = join(import.meta.dirname, '../../public');
const require = createRequire(import.meta.url);
const vendor = {
  'xterm.js': require.resolve('@xterm/xterm/lib/xterm.js'),
  'xterm.css': join(dirname(require.resolve('@xterm/xterm/lib/xterm.js')), '../css/xterm.css'),
  'addon-fit.js': require.resolve('@xterm/addon-fit/lib/addon-fit.js'),
};

/** HTTP status for a worker error code. */
export function statusOf(code: string): number {
  switch (code) {
    case 'not_found':
    case 'image_not_found':
      return 404;
    case 'invalid_field':
    case 'invalid_json':
    case 'unknown_type':
    case 'unsupported_version':
    case 'limit_invalid':
    case 'invalid_argument':
    case 'too_large':
      return 400;
    case 'forbidden':
    case 'forbidden_path':
    case 'security_floor':
      return 403;
    case 'conflict':
      return 409;
    case 'unsupported':
      return 501;
    case 'offline':
    case 'disconnected':
    case 'engine_unavailable':
      return 503;
    case 'timeout':
      return 504;
    default:
      return 500;
  }
}

/** Sends the API's one error shape: `{ error: { code, message, ...extra } }`. */
function sendError(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(status).send({ error: { code, message, ...extra } });
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function loadAdminToken(dataDir: string): string {
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const token = `bat_${randomBytes(32).toString('base64url')}`;
  writePrivateFile(path, `${token}\n`);
  return token;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** The admin token of a browser WebSocket, sent as subprotocol `bearer.<token>` (never in the URL, which gets logged). */
function protocolToken(req: FastifyRequest): string | undefined {
  const header = req.headers['sec-websocket-protocol'];
  const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim());
  return list.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length);
}

const createWorkerBody = z.strictObject({ name: z.string().min(1).max(128) });
const terminalQuery = z.object({
  worker: z.string().min(1).max(128),
  tenant: z.string().min(1).max(128),
  terminal: z.string().min(1).max(128).optional(),
  container: z.string().min(1).max(128).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  cols: z.coerce.number().int().min(1).max(1000).default(80),
  rows: z.coerce.number().int().min(1).max(1000).default(24),
});

/**
 * Builds the hub: the worker WebSocket (`/ws/worker`, worker token at the upgrade), the
 * admin HTTP API (`/api/*`, admin bearer token), the browser terminal socket
 * (`/ws/terminal`, admin token as a subprotocol) and the browser page.
 */
export async function createHubServer(o: HubServerOptions): Promise<Hub> {
  const tokens = new WorkerTokenStore(join(o.dataDir, 'workers.json'));
  const adminToken = o.adminToken ?? loadAdminToken(o.dataDir);
  const registry = new WorkerRegistry(tokens, o.logger, o.maxMessageBytes);
  const relay = new TerminalRelay(registry, o.logger);
  const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024 });
  await app.register(fastifyWebsocket, {
    options: {
      // Past the parser's limit, so an oversize message gets a typed too_large reply
      // instead of ws closing the connection; past this one, ws closes (1009).
      maxPayload: 4 * (o.maxMessageBytes ?? 4 * 1024 * 1024),
      handleProtocols: (protocols: Set<string>) => (protocols.has('bosun.v1') ? 'bosun.v1' : false),
    },
  });
  await app.register(fastifyStatic, { root: publicDir, prefix: '/', index: ['index.html'] });

  const isAdmin = (token: string | undefined) => token !== undefined && sameSecret(token, adminToken);
  const requireAdmin = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!isAdmin(bearer(req))) {
      o.logger.warn({ path: req.routeOptions.url, ip: req.ip }, 'refused: bad or missing admin token');
      return sendError(reply, 401, 'unauthorized', 'missing or wrong bearer token');
    }
  };

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/vendor/:file', async (req, reply) => {
    const file = vendor[(req.params as { file: string }).file as keyof typeof vendor];
    if (!file) return reply.code(404).send();
    return reply.type(file.endsWith('.css') ? 'text/css' : 'text/javascript').send(readFileSync(file));
  });

  app.get('/api/workers', { preHandler: requireAdmin }, async () => ({
    workers: registry.list().map((w) => ({ ...w, online: registry.isOnline(w.workerId) })),
  }));

  app.post('/api/workers', { preHandler: requireAdmin }, async (req, reply) => {
    const body = createWorkerBody.safeParse(req.body);
    if (!body.success) return sendError(reply, 400, 'invalid_field', body.error.issues[0].message, { path: body.error.issues[0].path });
    const issued = await tokens.issue(body.data.name);
    o.logger.info({ workerId: issued.workerId }, 'issued worker token');
    return reply.code(201).send(issued);
  });

  app.delete('/api/workers/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const ok = await tokens.revoke((req.params as { id: string }).id);
    return ok ? reply.code(204).send() : sendError(reply, 404, 'not_found', 'no such worker');
  });

  // Any worker command: JSON in (the message without v/id), the worker's reply out.
  // With `Accept: application/x-ndjson`, progress lines stream first, then the reply.
  app.post('/api/workers/:id/commands', { preHandler: requireAdmin }, async (req, reply) => {
    const workerId = (req.params as { id: string }).id;
    if (!registry.get(workerId)) return sendError(reply, 404, 'not_found', `no worker ${workerId}`);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const candidate = { ...body, v: V, id: registry.nextId() };
    const parsed = parseMessage(workerProtocol, JSON.stringify(candidate), { direction: 'toWorker' });
    if (!parsed.ok) return sendError(reply, 400, parsed.error.code, parsed.error.message, { path: parsed.error.path });
    if (!(WORKER_COMMANDS as readonly string[]).includes(parsed.message.type)) {
      return sendError(reply, 400, 'unknown_type', `${parsed.message.type} is not a command`);
    }
    const cmd = parsed.message as WorkerCommand;
    const stream = String(req.headers.accept ?? '').includes('application/x-ndjson');
    if (stream) {
      reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' });
      try {
        const result = await registry.request(workerId, cmd, (m) => reply.raw.write(`${JSON.stringify(m)}\n`));
        reply.raw.end(`${JSON.stringify(result)}\n`);
      } catch (err) {
        const e = err as RequestFailedError;
        reply.raw.end(`${JSON.stringify({ type: 'error', code: e.code ?? 'internal', message: e.message })}\n`);
      }
      return reply;
    }
    try {
      const result = await registry.request(workerId, cmd);
      if (result.type === 'error') return sendError(reply, statusOf(result.code), result.code, result.message, { details: result.details });
      return result;
    } catch (err) {
      const e = err as RequestFailedError;
      const code = e.code ?? 'internal';
      return sendError(reply, statusOf(code), code, e.message);
    }
  });

  app.get(
    '/ws/worker',
    {
      websocket: true,
      preValidation: async (req, reply) => {
        const record = tokens.verify(bearer(req));
        if (!record) {
          o.logger.warn({ ip: req.ip }, 'refused worker connection: bad or missing token');
          return sendError(reply, 401, 'unauthorized', 'missing or wrong worker token');
        }
        (req as FastifyRequest & { workerId?: string }).workerId = record.workerId;
      },
    },
    (socket, req) => {
      const workerId = (req as FastifyRequest & { workerId?: string }).workerId!;
      registry.accept(workerId, tokens.get(workerId)?.name ?? workerId, socket);
    },
  );

  app.get(
    '/ws/terminal',
    {
      websocket: true,
      preValidation: async (req, reply) => {
        if (!isAdmin(protocolToken(req))) {
          o.logger.warn({ ip: req.ip }, 'refused terminal connection: bad or missing token');
          return sendError(reply, 401, 'unauthorized', 'missing or wrong token');
        }
      },
    },
    async (socket, req) => {
      const q = terminalQuery.safeParse(req.query);
      if (!q.success) {
        socket.send(JSON.stringify({ type: 'error', code: 'invalid_field', message: q.error.issues[0].message }));
        return socket.close(1008, 'bad query');
      }
      const { worker, tenant, container, cols, rows } = q.data;
      let terminalId = q.data.terminal;
      let pos = q.data.offset ?? 0;
      if (!terminalId) {
        if (!container) return socket.close(1008, 'give terminal or container');
        try {
          const r = await registry.request(worker, { v: V, type: 'terminal.open', id: registry.nextId(), tenant, containerId: container, cols, rows });
          if (r.type !== 'terminal.open.result') {
            socket.send(JSON.stringify({ type: 'error', code: r.type === 'error' ? r.code : 'internal', message: r.type === 'error' ? r.message : 'unexpected reply' }));
            return socket.close(1011, 'open failed');
          }
          terminalId = r.terminalId;
          pos = r.offset;
        } catch (err) {
          socket.send(JSON.stringify({ type: 'error', code: (err as RequestFailedError).code ?? 'internal', message: (err as Error).message }));
          return socket.close(1011, 'open failed');
        }
      }
      const tid = terminalId;
      const client: TerminalClient = {
        pos,
        sendBytes: (data) => socket.send(data, { binary: true }),
        sendControl: (msg) => socket.send(JSON.stringify(msg)),
      };
      socket.on('message', (data, isBinary) => {
        const bytes = rawBytes(data);
        if (isBinary) {
          registry.sendInput(worker, tid, bytes);
          return;
        }
        let msg: { type?: string; cols?: number; rows?: number; data?: string };
        try {
          msg = JSON.parse(bytes.toString('utf8')) as typeof msg;
        } catch {
          return socket.send(JSON.stringify({ type: 'error', code: 'invalid_json', message: 'control frames are JSON' }));
        }
        if (msg.type === 'input' && typeof msg.data === 'string') registry.sendInput(worker, tid, Buffer.from(msg.data, 'utf8'));
        else if (msg.type === 'resize' && Number.isInteger(msg.cols) && Number.isInteger(msg.rows)) {
          void registry
            .request(worker, { v: V, type: 'terminal.resize', id: registry.nextId(), terminalId: tid, cols: msg.cols!, rows: msg.rows! })
            .catch(() => undefined);
        } else socket.send(JSON.stringify({ type: 'error', code: 'unknown_type', message: `unknown control frame ${String(msg.type)}` }));
      });
      socket.on('close', () => relay.leave(worker, tid, client));
      socket.send(JSON.stringify({ type: 'terminal', terminalId: tid, offset: pos }));
      await relay.join(worker, tenant, tid, client);
    },
  );

  app.addHook('onClose', async () => registry.closeAll());
  return { app, registry, tokens, adminToken };
}
