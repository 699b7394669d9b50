/**
 * Node agents as the hub sees them:
 * - `POST /api/nodes`, `GET /api/nodes`, `DELETE /api/nodes/{nodeId}` (admin bearer
 *   token): register a node (or rotate its callback token), list nodes with their last
 *   report and whether they are online, revoke one;
 * - `POST /api/nodes/callback` (the node's callback token as bearer): the node agent's
 *   heartbeat. The reply may carry a refreshed token the node must use from then on.
 *
 * Tokens are in replies only: refusals are logged with the caller's address, never a
 * token or part of one, and repeats are counted rather than logged (a flood of bad
 * tokens writes one line per window).
 */
import type { Logger } from '@bosun/logger';
import { LogThrottle, type Clock } from '@bosun/util';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errorHandler, sendError } from '../http-errors.js';
import { NODE_ID_RE, type NodeRegistry, type VerifiedNode } from '../node-registry.js';
import { zodValidatorCompiler, type ZodTypeProvider } from '../zod-type-provider.js';
import { adminAuth, bearerToken } from './auth.js';

/** Options of {@link nodesApi}. */
export interface NodesApiOptions {
  adminToken: string;
  registry: NodeRegistry;
  logger: Logger;
  /** Timers of the refusal log throttle (default the system clock). */
  clock?: Clock;
}

/** Most workspaces one callback may list. */
export const MAX_CALLBACK_WORKSPACES = 1000;

/** Largest callback body in bytes (1000 workspaces of the longest ids fit). */
export const MAX_CALLBACK_BODY_BYTES = 256 * 1024;

const NodeId = z.string().regex(NODE_ID_RE, 'a node id is 1-128 characters of A-Z a-z 0-9 _ . -');
const Count = z.number().finite().min(0).max(Number.MAX_SAFE_INTEGER);

/** The body of `POST /api/nodes`. */
export const RegisterNodeBodySchema = z.strictObject({
  nodeId: NodeId.describe("the node's NODE_ID"),
  name: z.string().min(1).max(200).optional().describe('a label for people (default: the node id, or the name it had)'),
});

/** The params of `DELETE /api/nodes/{nodeId}`. */
export const NodeParamsSchema = z.strictObject({ nodeId: NodeId.describe("the node's NODE_ID") });

/** The body of `POST /api/nodes/callback`: one heartbeat of a node agent. Unknown fields are dropped (newer agents may send more). */
export const CallbackBodySchema = z.object({
  nodeId: NodeId.describe('the NODE_ID the callback token was issued for'),
  version: z.string().min(1).max(64).describe("the agent's version"),
  workspaces: z
    .array(
      z.object({
        workspaceId: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/)
          .describe('a workspace with terminals alive on the node'),
        terminals: z.int().min(0).max(100_000).describe('terminals alive in it'),
      }),
    )
    .max(MAX_CALLBACK_WORKSPACES)
    .describe(`active workspaces (at most ${MAX_CALLBACK_WORKSPACES})`),
  metrics: z
    .object({
      cpuCount: z.int().min(0).max(100_000).describe('logical CPUs'),
      loadAvg1: Count.describe('1-minute load average'),
      memoryTotal: Count.describe('bytes of memory'),
      memoryFree: Count.describe('bytes of free memory'),
      uptimeSec: Count.describe('host uptime in seconds'),
    })
    .describe('host figures'),
  intervalMs: z.int().min(1000).max(86_400_000).describe('the interval the node calls back at; it is online while seen within three'),
});

/** The reply of `POST /api/nodes/callback`. */
export const CallbackReplySchema = z.object({
  ok: z.literal(true),
  nextIntervalMs: z.int().optional().describe('the interval the hub wants, when it differs'),
  callbackToken: z.string().optional().describe('a refreshed callback token: use it from the next callback on (the old one ends when it is first used)'),
});

const verifiedOf = new WeakMap<FastifyRequest, VerifiedNode>();

/** The node routes (see the module comment). */
export const nodesApi: FastifyPluginAsync<NodesApiOptions> = async (root, o) => {
  const refusals = new LogThrottle({ logger: o.logger, ...(o.clock ? { clock: o.clock } : {}) });
  root.addHook('onClose', async () => refusals.flush());

  await root.register(async (scope) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(zodValidatorCompiler);
    app.setErrorHandler(errorHandler(o.logger));
    await app.register(adminAuth, { adminToken: o.adminToken, logger: o.logger });

    app.post(
      '/api/nodes',
      {
        schema: { body: RegisterNodeBodySchema },
        config: {
          openapi: {
            summary: 'Register a node agent, or rotate its callback token',
            description: 'The token is in this reply only (the hub keeps its hash). Registering a known node again issues a new token; the old one stops working at once.',
            responses: { '201': { description: 'Registered.', schema: z.object({ nodeId: z.string(), callbackToken: z.string().describe("the node agent's CALLBACK_TOKEN") }) } },
          },
        },
      },
      async (req, reply) => {
        const rotated = o.registry.get(req.body.nodeId) !== undefined;
        const out = await o.registry.register(req.body.nodeId, req.body.name);
        o.logger.info({ nodeId: out.nodeId, rotated }, rotated ? 'node callback token rotated' : 'node registered');
        return reply.code(201).send(out);
      },
    );

    app.get('/api/nodes', { config: { openapi: { summary: 'Registered node agents with their last callback', description: '`online`: a callback came within three of the intervals the node reported.' } } }, async () => ({
      nodes: o.registry.list(),
    }));

    app.delete(
      '/api/nodes/:nodeId',
      { schema: { params: NodeParamsSchema }, config: { openapi: { summary: 'Revoke a node agent', description: 'Its callback token stops working; it leaves the list.' } } },
      async (req, reply) => {
        if (!(await o.registry.revoke(req.params.nodeId))) return sendError(reply, 'not_found', `no node ${req.params.nodeId}`);
        o.logger.info({ nodeId: req.params.nodeId }, 'node revoked');
        return reply.code(204).send();
      },
    );
  });

  await root.register(async (scope) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(zodValidatorCompiler);
    app.setErrorHandler(errorHandler(o.logger));
    app.addHook('onRequest', async (req, reply) => {
      const verified = o.registry.verify(bearerToken(req));
      if (verified) {
        verifiedOf.set(req, verified);
        return;
      }
      refusals.warn('callback-token', { ip: req.ip }, 'refused node callback: bad, rotated or revoked callback token');
      return sendError(reply, 'unauthorized', 'missing or wrong callback token');
    });

    app.post(
      '/api/nodes/callback',
      {
        bodyLimit: MAX_CALLBACK_BODY_BYTES,
        schema: { body: CallbackBodySchema },
        config: {
          openapi: {
            auth: 'none',
            summary: "A node agent's heartbeat",
            description:
              'Authorised by the callback token of `POST /api/nodes` (`Authorization: Bearer bnc_…`), not the admin token: 401 for a bad, rotated or revoked token, 403 when `nodeId` is not the node the token was issued for.',
            responses: { '200': { description: 'Recorded.', schema: CallbackReplySchema } },
          },
        },
      },
      async (req, reply) => {
        const verified = verifiedOf.get(req);
        if (!verified) return sendError(reply, 'unauthorized', 'missing or wrong callback token');
        const b = req.body;
        if (b.nodeId !== verified.node.nodeId) {
          o.logger.warn({ ip: req.ip, tokenNode: verified.node.nodeId, claimed: b.nodeId }, 'refused node callback: nodeId is not the token\u2019s node');
          return sendError(reply, 'forbidden', 'this callback token was issued for another node');
        }
        const wasOnline = o.registry.get(b.nodeId)?.online ?? false;
        const answer = await o.registry.report(verified, { version: b.version, workspaces: b.workspaces, metrics: b.metrics, intervalMs: b.intervalMs });
        if (!wasOnline) o.logger.info({ nodeId: b.nodeId, version: b.version, workspaces: b.workspaces.length }, 'node online');
        if (answer.callbackToken) o.logger.info({ nodeId: b.nodeId }, 'node callback token refreshed');
        return { ok: true as const, ...answer };
      },
    );
  });
};
