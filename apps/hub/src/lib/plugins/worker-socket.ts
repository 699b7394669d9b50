/**
 * `/ws/worker`: the worker's outbound WebSocket (subprotocol `bosun.v1`), authenticated
 * at the upgrade with its worker token; everything after the upgrade is the registry's.
 */
import type { Logger } from '@bosun/logger';
import type { FastifyPluginAsync } from 'fastify';
import type { WorkerTokenStore } from '../token-store.js';
import type { WorkerRegistry } from '../worker-registry.js';
import { workerAuth, workerOf } from './auth.js';

/** Options of {@link workerSocket}. */
export interface WorkerSocketOptions {
  tokens: WorkerTokenStore;
  registry: WorkerRegistry;
  logger: Logger;
}

/** The worker socket route. Needs @fastify/websocket registered on the root. */
export const workerSocket: FastifyPluginAsync<WorkerSocketOptions> = async (app, o) => {
  await app.register(workerAuth, { tokens: o.tokens, logger: o.logger });
  app.get('/ws/worker', { websocket: true }, (socket, req) => {
    const record = workerOf(req);
    if (record) o.registry.accept(record.workerId, record.name, socket);
    else socket.close(1008, 'unauthorized'); // unreachable: workerAuth answered 401 before the upgrade
  });
};
