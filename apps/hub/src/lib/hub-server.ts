import { join } from 'node:path';
import fastifyWebsocket from '@fastify/websocket';
import { KeyRing, TokenIssuer } from '@bosun/auth';
import type { Logger } from '@bosun/logger';
import type { Clock } from '@bosun/util';
import Fastify, { type FastifyInstance } from 'fastify';
import { errorHandler, notFoundHandler } from './http-errors.js';
import { NodeRegistry } from './node-registry.js';
import { loadAdminToken } from './plugins/auth.js';
import { apiDocs } from './plugins/api-docs.js';
import { commandsApi } from './plugins/commands-api.js';
import { nodesApi } from './plugins/nodes-api.js';
import { page } from './plugins/page.js';
import { terminalSocket } from './plugins/terminal-socket.js';
import { terminalsApi } from './plugins/terminals-api.js';
import { tokensApi } from './plugins/tokens-api.js';
import { workerSocket } from './plugins/worker-socket.js';
import { TerminalRelay } from './terminal-relay.js';
import { WorkerTokenStore } from './token-store.js';
import { WorkerRegistry } from './worker-registry.js';

/** Options of {@link createHubServer}. */
export interface HubServerOptions {
  dataDir: string;
  logger: Logger;
  /** Admin token for the HTTP API and browser page (default: read from or created in `<dataDir>/admin-token`). */
  adminToken?: string;
  /** Largest message accepted from a worker in bytes (default 4 MiB). */
  maxMessageBytes?: number;
  /** Largest frame accepted from a terminal viewer in bytes (default 4 MiB). */
  maxViewerMessageBytes?: number;
  /** Most bytes one viewer socket may hold unsent before it is dropped with 4008 `slow viewer` (default 4 MiB). */
  maxViewerBufferedBytes?: number;
  /** Most bytes queued on one worker socket before terminal input to it is refused with `busy` (default 8 MiB). */
  maxWorkerBufferedBytes?: number;
  /** Close grace before a closed socket that does not answer is destroyed (default 1 000 ms for viewers, 2 000 ms for workers). */
  closeGraceMs?: number;
  /** Window in which repeats of one bad-message code on a worker connection are only counted (default 10 000 ms). */
  logWindowMs?: number;
  clock?: Clock;
  /**
   * The hub's URL as node agents reach it (their `CONTROL_PLANE_URL`): the `iss` of the
   * tokens it mints. Read at the first mint (default: `http://127.0.0.1:<listening port>`).
   */
  publicUrl?: () => string;
  /** Age past which a node's callback reply carries a refreshed callback token (default 86 400 000 ms, 24 h). */
  nodeTokenRotateAfterMs?: number;
}

/** The running hub's parts, for the app and tests. */
export interface Hub {
  app: FastifyInstance;
  registry: WorkerRegistry;
  relay: TerminalRelay;
  tokens: WorkerTokenStore;
  adminToken: string;
  /** The signing keys of the tokens it mints for node agents (`HUB_DATA_DIR/keys`, 0600). */
  keyRing: KeyRing;
  /** Registered node agents, their callback-token hashes (`HUB_DATA_DIR/nodes.json`, 0600) and last callbacks. */
  nodes: NodeRegistry;
}

const opt = <K extends string, T>(key: K, value: T | undefined): Partial<Record<K, T>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, T>>;

/**
 * Builds the hub from its plugins: the worker WebSocket (`/ws/worker`, worker token at
 * the upgrade), the admin HTTP API (`/api/workers…`, admin bearer token), the viewer
 * socket (`/ws/terminal`, admin token as a subprotocol), the browser page and the API
 * reference (`/api/docs`, no token). Every error, fastify's own and unknown routes
 * included, answers `{ error: { code, message, hint? } }` with the registry's status.
 * This function only wires them.
 */
export async function createHubServer(o: HubServerOptions): Promise<Hub> {
  const tokens = new WorkerTokenStore(join(o.dataDir, 'workers.json'));
  const adminToken = o.adminToken ?? loadAdminToken(o.dataDir);
  const registry = new WorkerRegistry({
    tokens,
    logger: o.logger,
    ...opt('maxMessageBytes', o.maxMessageBytes),
    ...opt('maxWorkerBufferedBytes', o.maxWorkerBufferedBytes),
    ...opt('logWindowMs', o.logWindowMs),
    ...opt('closeGraceMs', o.closeGraceMs),
    ...opt('clock', o.clock),
  });
  const relay = new TerminalRelay(registry, o.logger);
  const maxWorkerMessage = o.maxMessageBytes ?? 4 * 1024 * 1024;
  const maxViewerMessage = o.maxViewerMessageBytes ?? 4 * 1024 * 1024;
  const onError = errorHandler(o.logger);
  const app = Fastify({
    logger: false,
    bodyLimit: 2 * 1024 * 1024,
    // A malformed URL answers in the one error shape too.
    frameworkErrors: (err, req, reply) => onError(err, req, reply),
  });
  // Root-level, before any plugin, so every scope inherits them: fastify's own errors
  // (bad JSON, content-type, body size) and unknown routes answer `{ error: { code, message, hint } }`.
  app.setErrorHandler(onError);
  app.setNotFoundHandler(notFoundHandler);
  // The API reads JSON only: a text/plain body answers 415 with the content-type hint
  // instead of reaching a route's schema as a string.
  app.removeContentTypeParser('text/plain');
  await app.register(fastifyWebsocket, {
    options: {
      // One ws server serves both sockets. Past each parser's own limit, so an oversize
      // message gets a typed too_large reply instead of ws closing the connection (1009).
      maxPayload: Math.max(4 * maxWorkerMessage, maxViewerMessage + 1024),
      // Text frames are decoded by the parsers (invalid UTF-8 answers invalid_json and the
      // link lives), not refused by ws with a 1007 close.
      skipUTF8Validation: true,
      perMessageDeflate: false,
      handleProtocols: (protocols: Set<string>) => (protocols.has('bosun.v1') ? 'bosun.v1' : false),
    },
  });
  // First: it collects the routes the plugins after it add.
  await app.register(apiDocs);
  await app.register(page);
  await app.register(commandsApi, { adminToken, tokens, registry, logger: o.logger });
  await app.register(terminalsApi, { adminToken, registry, relay, logger: o.logger });
  const keyRing = await KeyRing.open({ dir: join(o.dataDir, 'keys'), logger: o.logger });
  let issuer: TokenIssuer | undefined;
  const publicUrl = o.publicUrl ?? (() => `http://127.0.0.1:${(app.server.address() as { port?: number } | null)?.port ?? 0}`);
  await app.register(tokensApi, { adminToken, keyRing, issuer: () => (issuer ??= new TokenIssuer({ keyRing, issuer: publicUrl() })), logger: o.logger });
  const nodes = new NodeRegistry({ path: join(o.dataDir, 'nodes.json'), ...opt('rotateAfterMs', o.nodeTokenRotateAfterMs), ...opt('clock', o.clock) });
  await app.register(nodesApi, { adminToken, registry: nodes, logger: o.logger, ...opt('clock', o.clock) });
  await app.register(workerSocket, { tokens, registry, logger: o.logger });
  await app.register(terminalSocket, {
    adminToken,
    registry,
    relay,
    logger: o.logger,
    maxViewerMessageBytes: maxViewerMessage,
    ...opt('maxViewerBufferedBytes', o.maxViewerBufferedBytes),
    ...opt('closeGraceMs', o.closeGraceMs),
    ...opt('clock', o.clock),
  });
  app.addHook('onClose', async () => registry.closeAll());
  return { app, registry, relay, tokens, adminToken, keyRing, nodes };
}
