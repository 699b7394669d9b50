/**
 * The hub as a token issuer for node agents:
 * - `GET /.well-known/jwks.json` (no token): the public keys node agents verify with
 *   (current and recently rotated keys; never a private part);
 * - `POST /api/tokens` (admin bearer token): mints a short-lived JWT for the claims
 *   contract of `@bosun/auth` (`sub`, `workspace`, `node`; audiences
 *   `workspace-terminal` and `node-management`), signed with the current key. The token
 *   is in the reply only; the hub logs its `jti`, never the token.
 */
import { AUDIENCE_NODE_MANAGEMENT, AUDIENCE_WORKSPACE_TERMINAL, type KeyRing, type TokenIssuer } from '@bosun/auth';
import type { Logger } from '@bosun/logger';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { errorHandler } from '../http-errors.js';
import { zodValidatorCompiler, type ZodTypeProvider } from '../zod-type-provider.js';
import { adminAuth } from './auth.js';

/** Options of {@link tokensApi}. */
export interface TokensApiOptions {
  adminToken: string;
  keyRing: KeyRing;
  /** The issuer (made on first use: its `iss` is the hub's public URL, known once it listens). */
  issuer: () => TokenIssuer;
  logger: Logger;
}

const Id = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/);

/** The body of `POST /api/tokens`. */
export const MintBodySchema = z
  .strictObject({
    sub: Id.describe('the user id'),
    audience: z.enum([AUDIENCE_WORKSPACE_TERMINAL, AUDIENCE_NODE_MANAGEMENT]),
    workspace: Id.optional().describe('workspace id; required for workspace-terminal'),
    node: Id.optional().describe('node id; required for node-management'),
    ttlSec: z.int().min(1).max(86_400).optional().describe('lifetime in seconds (default 900)'),
  })
  .refine((b) => b.audience !== AUDIENCE_WORKSPACE_TERMINAL || b.workspace !== undefined, { path: ['workspace'], message: 'workspace-terminal tokens need a workspace' })
  .refine((b) => b.audience !== AUDIENCE_NODE_MANAGEMENT || b.node !== undefined, { path: ['node'], message: 'node-management tokens need a node' });

/** The JWKS document and the minting route. */
export const tokensApi: FastifyPluginAsync<TokensApiOptions> = async (root, o) => {
  root.get('/.well-known/jwks.json', async (_req, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return o.keyRing.jwks();
  });
  await root.register(async (scope) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(zodValidatorCompiler);
    app.setErrorHandler(errorHandler(o.logger));
    await app.register(adminAuth, { adminToken: o.adminToken, logger: o.logger });
    app.post('/api/tokens', { schema: { body: MintBodySchema } }, async (req, reply) => {
      const b = req.body;
      const minted = await o.issuer().mint({
        sub: b.sub,
        audience: b.audience,
        ...(b.workspace ? { workspace: b.workspace } : {}),
        ...(b.node ? { node: b.node } : {}),
        ...(b.ttlSec ? { ttlSec: b.ttlSec } : {}),
      });
      o.logger.info({ jti: minted.jti, kid: minted.kid, audience: b.audience, sub: b.sub }, 'minted a token');
      return reply.code(201).send(minted);
    });
  });
};
