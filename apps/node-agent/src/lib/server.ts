import { httpStatusOf, isBosunError, TabListBodySchema, toErrorBody, type TabListBody } from '@bosun/protocol';
import type { Logger } from '@bosun/logger';
import fastifyWebsocket from '@fastify/websocket';
import { AUDIENCE_NODE_MANAGEMENT, AUDIENCE_WORKSPACE_TERMINAL, bearerToken, type VerifiedClaims } from '@bosun/auth';
import type { ContainerDriver } from '@bosun/container-driver';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { logRoutes, type LogRoutesOptions } from './logs.js';
import { terminalSocket, type TerminalSocketOptions } from './terminal-socket.js';
import { terminalMultiSocket, toTab } from './terminal-multi-socket.js';
import { z } from 'zod';
import type { TerminalService } from '@bosun/terminal-service';
import type { TlsMaterial } from './tls.js';

/** The token scope a route asks for (the claims contract of `@bosun/auth`). */
export interface RouteScope {
  audience: string;
  workspaceId?: string;
  nodeId?: string;
}

/** What the server needs of a token verifier: `JwtVerifier` of `@bosun/auth`. */
export interface TokenVerifier {
  /** Resolves with the claims, or throws an `AuthError` whose code gives the status (401/403/503). */
  verify(token: string | undefined, scope: RouteScope): Promise<VerifiedClaims>;
}

/** Options of {@link buildNodeAgentServer}. */
export interface NodeAgentServerOptions {
  tls: Pick<TlsMaterial, 'cert' | 'key'>;
  /** `NODE_ID`: management tokens must name it in their `node` claim. */
  nodeId: string;
  verifier: TokenVerifier;
  /** The shared terminal service; a workspace's terminals are those of owner `{ tenant: workspaceId }`. */
  terminals: TerminalService;
  logger: Logger;
  version: string;
  /** System facts for `/health` (the capability probe's summary); no ids. */
  system?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Epoch ms the agent started (default: now). */
  startedAt?: number;
  /** Finds a workspace's container for new terminals. */
  driver: Pick<ContainerDriver, 'list'>;
  /** `GET /logs` and `/logs/stream` (management tokens); absent: no log routes. */
  logs?: Omit<LogRoutesOptions, 'authorize' | 'logger'>;
  /** Limits of the terminal socket (see {@link TerminalSocketOptions}). */
  terminalLimits?: Pick<TerminalSocketOptions, 'maxMessageBytes' | 'maxMessagesPerSec' | 'maxBufferedBytes' | 'pingIntervalMs'>;
}


const WorkspaceParams = z.object({ workspaceId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/) });

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const body = toErrorBody(err);
  const www = (err as { wwwAuthenticate?: unknown } | null)?.wwwAuthenticate;
  const header = typeof www === 'function' ? (www as () => string | undefined).call(err) : undefined;
  if (header) void reply.header('www-authenticate', header);
  return reply.code(httpStatusOf(body.code)).send({ error: body });
}

/**
 * The node agent's HTTPS server: `GET /health` (no token; status, version, uptime,
 * system facts, no ids) and the management API, each route authorised by a
 * `node-management` token for this `NODE_ID` (and, on workspace routes, a matching
 * `workspace` claim when the token carries one). fastify's request log is off: URLs can
 * carry a `token` query parameter (browsers' WebSockets), and refusals are logged here
 * with their reason, never the token. `close()` stops accepting, answers 503 to new
 * requests on kept-alive sockets and waits for the running ones.
 */
export async function buildNodeAgentServer(o: NodeAgentServerOptions): Promise<FastifyInstance> {
  const startedAt = o.startedAt ?? Date.now();
  const app = Fastify({
    https: { cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' },
    logger: false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestTimeout: 60_000,
  });
  app.setErrorHandler((err: unknown, _req, reply) => {
    const status = (err as { statusCode?: number } | null)?.statusCode;
    const message = err instanceof Error ? err.message : String(err);
    // fastify's own 4xx (bad JSON, body too large…) keep their status.
    if (!isBosunError(err) && status && status < 500) return reply.code(status).send({ error: { code: status === 413 ? 'too_large' : 'invalid_field', message } });
    if (!isBosunError(err)) o.logger.error({ err: message }, 'request failed');
    return sendError(reply, err);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` } }));

  /**
   * Verifies the request's token for `scope` (from `Authorization: Bearer`, or, where
   * browsers need it and no header is sent, the `token` query parameter); answers the
   * refusal itself (status, reason, `WWW-Authenticate`), logs the reason, never the
   * token, and returns undefined when refused.
   */
  const authorize = async (req: FastifyRequest, reply: FastifyReply, scope: RouteScope, queryToken = false): Promise<VerifiedClaims | undefined> => {
    try {
      const header = req.headers.authorization;
      const query = (req.query ?? {}) as { token?: unknown };
      const token = queryToken && header === undefined && typeof query.token === 'string' ? query.token : bearerToken(header);
      return await o.verifier.verify(token, scope);
    } catch (err: unknown) {
      const reason = (err as { reason?: string } | null)?.reason ?? toErrorBody(err).code;
      o.logger.warn({ route: req.routeOptions.url, reason, ip: req.ip }, 'refused a request');
      sendError(reply, err);
      return undefined;
    }
  };

  app.get('/health', async () => ({
    status: 'ok',
    version: o.version,
    uptimeSec: Math.floor((Date.now() - startedAt) / 1000),
    system: o.system ? await o.system() : {},
  }));

  app.get('/workspaces/:workspaceId/tabs', async (req, reply) => {
    const params = WorkspaceParams.safeParse(req.params);
    if (!params.success) return reply.code(400).send({ error: { code: 'invalid_field', message: 'bad workspace id', path: ['workspaceId'] } });
    const claims = await authorize(req, reply, { audience: AUDIENCE_NODE_MANAGEMENT, nodeId: o.nodeId, workspaceId: params.data.workspaceId });
    if (!claims) return reply;
    const body: TabListBody = { tabs: o.terminals.list({ tenant: params.data.workspaceId }).map(toTab) };
    return TabListBodySchema.parse(body);
  });

  // The terminal socket: the token (header, or `token` query parameter, which browsers
  // need) is checked before the upgrade; a refusal is a plain 401/403 answer.
  const maxMessage = o.terminalLimits?.maxMessageBytes ?? 64 * 1024;
  await app.register(fastifyWebsocket, { options: { maxPayload: maxMessage + 1, perMessageDeflate: false, skipUTF8Validation: true } });
  const claimsOf = new WeakMap<object, VerifiedClaims>();
  app.addHook('preValidation', async (req, reply) => {
    const route = req.routeOptions.url;
    if (route !== '/terminal/ws' && route !== '/terminal/ws/multi') return;
    const query = req.query as { workspace?: unknown };
    const workspaceId = typeof query.workspace === 'string' ? query.workspace : undefined;
    const claims = await authorize(req, reply, { audience: AUDIENCE_WORKSPACE_TERMINAL, ...(workspaceId ? { workspaceId } : {}) }, true);
    if (!claims) return reply;
    claimsOf.set(req.raw, claims);
    return undefined;
  });
  const sockets = {
    terminals: o.terminals,
    driver: o.driver,
    logger: o.logger,
    workspaceOf: (req: { raw: unknown }) => claimsOf.get(req.raw as object)?.workspace,
    ...o.terminalLimits,
  };
  await app.register(terminalSocket, sockets);
  if (o.logs) {
    // A management token of this node; on the stream socket the `token` query parameter too (browsers).
    const authorizeLogs = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> =>
      (await authorize(req, reply, { audience: AUDIENCE_NODE_MANAGEMENT, nodeId: o.nodeId }, true)) !== undefined;
    await app.register(logRoutes, { ...o.logs, authorize: authorizeLogs, logger: o.logger });
  }
  await app.register(terminalMultiSocket, sockets);

  return app;
}
