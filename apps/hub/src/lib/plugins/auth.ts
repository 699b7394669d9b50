/**
 * Authentication: the admin bearer token (HTTP API: `Authorization: Bearer <token>`;
 * browser WebSocket: subprotocol `bearer.<token>`, never the URL, which gets logged) and
 * worker tokens (`/ws/worker`: `Authorization: Bearer bwt_…`). Each check is a plugin
 * that adds one hook to the scope it is registered in (not encapsulated, like
 * fastify-plugin's `skip-override`), so a route is protected by where it is registered.
 * Every refusal is logged without the secret.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@bosun/logger';
import { writePrivateFileSync } from '@bosun/util';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { sendError } from '../http-errors.js';
import type { WorkerRecord, WorkerTokenStore } from '../token-store.js';

/** Compares two secrets in constant time (whatever their lengths). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The admin token in `<dataDir>/admin-token`, created (256 bits, 0600, atomically) when missing. */
export function loadAdminToken(dataDir: string): string {
  const path = join(dataDir, 'admin-token');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = `bat_${randomBytes(32).toString('base64url')}`;
  writePrivateFileSync(path, `${token}\n`);
  return token;
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** The token of a `bearer.<token>` WebSocket subprotocol. */
export function subprotocolToken(req: FastifyRequest): string | undefined {
  const header = req.headers['sec-websocket-protocol'];
  const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim());
  return list.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length);
}

const skipOverride = <T>(plugin: T): T => Object.assign(plugin as object, { [Symbol.for('skip-override')]: true }) as T;

/** Options of {@link adminAuth}. */
export interface AdminAuthOptions {
  adminToken: string;
  logger: Logger;
  /** Where the token is read: the `Authorization` header (default) or a `bearer.<token>` subprotocol. */
  from?: 'header' | 'subprotocol';
  /** Log line of a refusal (default `refused: bad or missing admin token`). */
  refusal?: string;
}

/** Requires the admin token on every route of the scope it is registered in (401 `unauthorized` otherwise). */
export const adminAuth: FastifyPluginAsync<AdminAuthOptions> = skipOverride(async (app, o) => {
  const read = o.from === 'subprotocol' ? subprotocolToken : bearerToken;
  app.addHook('onRequest', async (req, reply) => {
    const token = read(req);
    if (token !== undefined && sameSecret(token, o.adminToken)) return;
    o.logger.warn({ path: req.routeOptions.url, ip: req.ip }, o.refusal ?? 'refused: bad or missing admin token');
    return sendError(reply, 'unauthorized', 'missing or wrong token');
  });
});

const workers = new WeakMap<FastifyRequest, WorkerRecord>();

/** The worker a request authenticated as (set by {@link workerAuth}). */
export function workerOf(req: FastifyRequest): WorkerRecord | undefined {
  return workers.get(req);
}

/** Options of {@link workerAuth}. */
export interface WorkerAuthOptions {
  tokens: WorkerTokenStore;
  logger: Logger;
}

/** Requires a live worker token on every route of its scope (401 otherwise, also for a revoked token); see {@link workerOf}. */
export const workerAuth: FastifyPluginAsync<WorkerAuthOptions> = skipOverride(async (app, o) => {
  app.addHook('onRequest', async (req, reply) => {
    const record = o.tokens.verify(bearerToken(req));
    if (record) {
      workers.set(req, record);
      return;
    }
    o.logger.warn({ ip: req.ip }, 'refused worker connection: bad or missing token');
    return sendError(reply, 'unauthorized', 'missing or wrong worker token');
  });
});
