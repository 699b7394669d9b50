/**
 * The admin HTTP API under `/api/workers` (admin bearer token, zod-validated routes):
 *
 * - `GET /api/workers`: every known worker with `online`,
 * - `POST /api/workers {name}`: issue a worker token (201, shown once),
 * - `DELETE /api/workers/:id`: revoke (204); its live socket is closed with 4001 `revoked`,
 * - `POST /api/workers/:id/commands`: any worker command (the message without `v`/`id`);
 *   the worker's reply out, or with `Accept: application/x-ndjson` progress lines then the reply.
 *
 * Errors are `{ error: { code, message, hint?, ... } }` with the status the error-code
 * registry gives. Each route describes itself for the API reference (`config.openapi`).
 */
import { parseMessage, toErrorBody, workerProtocol, WORKER_COMMANDS, WORKER_PROTOCOL_VERSION as V, type WorkerCommand } from '@bosun/protocol';
import type { Logger } from '@bosun/logger';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { errorHandler, sendError } from '../http-errors.js';
import type { WorkerTokenStore } from '../token-store.js';
import type { WorkerRegistry } from '../worker-registry.js';
import { zodValidatorCompiler, type ZodTypeProvider } from '../zod-type-provider.js';
import type { RouteDocs } from './api-docs.js';
import { adminAuth } from './auth.js';

/** Options of {@link commandsApi}. */
export interface CommandsApiOptions {
  adminToken: string;
  tokens: WorkerTokenStore;
  registry: WorkerRegistry;
  logger: Logger;
}

const WorkerIdParams = z.strictObject({ id: z.string().min(1).max(128) });
const CreateWorkerBody = z.strictObject({ name: z.string().min(1).max(128) });
const CommandBody = z.record(z.string(), z.unknown());

const WorkerView = z.looseObject({
  workerId: z.string().describe('Id to use in /api/workers/{id}/…'),
  name: z.string().describe('Name the worker registered with (or was issued under).'),
  online: z.boolean().describe('True while its socket is connected and registered.'),
  connectedAt: z.string().optional().describe('When it last registered (ISO 8601).'),
  info: z
    .looseObject({})
    .optional()
    .describe('Its last `worker.register` (hostname, containerEngines, capabilities…), absent until it first connects.'),
  heartbeat: z.looseObject({}).optional().describe('Its last heartbeat with `receivedAt`.'),
});
const Issued = z.object({
  workerId: z.string(),
  token: z.string().describe('The worker token (`bwt_…`): shown once, only its hash is kept.'),
});

const docs = (d: RouteDocs) => ({ openapi: d });
const UNKNOWN_WORKER_HINT = 'GET /api/workers lists the workers and their ids';

/** The `/api/workers…` routes. */
export const commandsApi: FastifyPluginAsync<CommandsApiOptions> = async (root, o) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setErrorHandler(errorHandler(o.logger));
  await app.register(adminAuth, { adminToken: o.adminToken, logger: o.logger });

  app.get('/api/workers', {
    config: docs({
      summary: 'Every worker the hub knows, online or not.',
      responses: { 200: { description: 'The workers.', schema: z.object({ workers: z.array(WorkerView) }) } },
    }),
  }, async () => ({
    workers: o.registry.list().map((w) => ({ ...w, online: o.registry.isOnline(w.workerId) })),
  }));

  app.post('/api/workers', {
    schema: { body: CreateWorkerBody },
    config: docs({
      summary: 'Issue a token for a new worker (listed offline until it connects).',
      responses: { 201: { description: 'The new worker id and its token, shown once.', schema: Issued } },
    }),
  }, async (req, reply) => {
    const issued = await o.tokens.issue(req.body.name);
    o.registry.added(issued.workerId, req.body.name);
    o.logger.info({ workerId: issued.workerId }, 'issued worker token');
    return reply.code(201).send(issued);
  });

  app.delete('/api/workers/:id', {
    schema: { params: WorkerIdParams },
    config: docs({
      summary: 'Revoke a worker: its token stops working, it leaves the list, a live socket is closed with 4001 `revoked`.',
      responses: { 204: { description: 'Revoked.' } },
    }),
  }, async (req, reply) => {
    const { id } = req.params;
    if (!(await o.tokens.revoke(id))) return sendError(reply, 'not_found', 'no such worker', { hint: UNKNOWN_WORKER_HINT });
    o.registry.revoke(id);
    o.logger.info({ workerId: id }, 'revoked worker token');
    return reply.code(204).send();
  });

  app.post('/api/workers/:id/commands', {
    schema: { params: WorkerIdParams, body: CommandBody },
    config: docs({
      summary: 'Send a worker command and answer its reply.',
      description:
        'The body is one worker command without `v` and `id`. With `Accept: application/x-ndjson` the answer streams progress ' +
        'messages (image builds), one JSON per line, then the reply. A worker that is not connected answers 503 `offline`.',
    }),
  }, async (req, reply) => {
    const workerId = req.params.id;
    if (!o.registry.get(workerId)) return sendError(reply, 'not_found', `no worker ${workerId}`, { hint: UNKNOWN_WORKER_HINT });
    const parsed = parseMessage(workerProtocol, { ...req.body, v: V, id: o.registry.nextId() }, { direction: 'toWorker' });
    if (!parsed.ok) return sendError(reply, parsed.error.code, parsed.error.message, { path: parsed.error.path });
    if (!(WORKER_COMMANDS as readonly string[]).includes(parsed.message.type)) {
      return sendError(reply, 'unknown_type', `${parsed.message.type} is not a command`);
    }
    const cmd = parsed.message as WorkerCommand;
    if (String(req.headers.accept ?? '').includes('application/x-ndjson')) {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' });
      try {
        const result = await o.registry.request(workerId, cmd, { onProgress: (m) => reply.raw.write(`${JSON.stringify(m)}\n`) });
        reply.raw.end(`${JSON.stringify(result)}\n`);
      } catch (err) {
        reply.raw.end(`${JSON.stringify({ v: V, type: 'error', ...toErrorBody(err) })}\n`);
      }
      return;
    }
    try {
      const result = await o.registry.request(workerId, cmd);
      if (result.type === 'error') return sendError(reply, result.code, result.message, { details: result.details });
      return result;
    } catch (err) {
      const body = toErrorBody(err);
      const hint = body.code === 'offline' ? 'the worker is not connected; GET /api/workers shows which are online' : undefined;
      return sendError(reply, body.code, body.message, { ...(body.details ? { details: body.details } : {}), ...(hint ? { hint } : {}) });
    }
  });
};
