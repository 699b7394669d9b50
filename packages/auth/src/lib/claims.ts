/**
 * The claims contract control planes mint against, and the route checks that follow
 * signature and time checks. Names are stable: `sub` = user id, `workspace` = workspace
 * id, `node` = node id; audiences {@link AUDIENCE_WORKSPACE_TERMINAL} and
 * {@link AUDIENCE_NODE_MANAGEMENT}.
 */
import { createHash } from 'node:crypto';
import { AuthError } from './auth-error.js';

/** Audience of tokens for a workspace's terminal and agent sockets; such a token must carry `workspace`. */
export const AUDIENCE_WORKSPACE_TERMINAL = 'workspace-terminal';

/** Audience of tokens for a node's HTTP management API; such a token must carry `node`. */
export const AUDIENCE_NODE_MANAGEMENT = 'node-management';

/** The claims of a verified token, typed. */
export interface VerifiedClaims {
  /** The user id. */
  sub: string;
  /** The workspace id the token is for, when it is scoped to one. */
  workspace?: string;
  /** The node id the token is for, when it is scoped to one. */
  node?: string;
  /** Audiences, always as an array (a JWT may carry a single string). */
  aud: string[];
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issued at, seconds since the epoch. */
  iat?: number;
  /** The token's unique id. */
  jti?: string;
  /** The issuer (equal to the verifier's `controlPlaneUrl`). */
  iss: string;
}

/** What a route needs of a token. */
export interface RouteScope {
  /** The audience the route accepts. */
  audience: string;
  /** The workspace the route addresses, when it is workspace-scoped. */
  workspaceId?: string;
  /** This node's id; required for {@link AUDIENCE_NODE_MANAGEMENT}. */
  nodeId?: string;
}

/**
 * Checks `claims` (already verified: signature, time, issuer, audience) against the route:
 *
 * - `workspace-terminal` needs a `workspace` claim (`claim_missing`), equal to
 *   `route.workspaceId` when given (`workspace_mismatch`);
 * - `node-management` needs a `node` claim (`claim_missing`) equal to `route.nodeId`
 *   (`node_mismatch`; a missing `route.nodeId` is a programming error, `invalid_argument`);
 * - any audience: a `workspace` claim, when present and the route is workspace-scoped, must
 *   equal `route.workspaceId`; a `node` claim, when present and `route.nodeId` is known,
 *   must equal it. So a token for workspace A never opens workspace B, nor a token for node
 *   X node Y.
 *
 * @throws {@link AuthError} with reason `claim_missing`, `workspace_mismatch` or `node_mismatch` (all 403)
 */
export function authorize(claims: VerifiedClaims, route: RouteScope): void {
  if (route.audience === AUDIENCE_WORKSPACE_TERMINAL && claims.workspace === undefined) {
    throw new AuthError('claim_missing', `a ${AUDIENCE_WORKSPACE_TERMINAL} token must name a workspace`, { details: { claim: 'workspace' } });
  }
  if (route.audience === AUDIENCE_NODE_MANAGEMENT) {
    if (route.nodeId === undefined) throw new TypeError(`authorize: a ${AUDIENCE_NODE_MANAGEMENT} route needs this node's id`);
    if (claims.node === undefined) {
      throw new AuthError('claim_missing', `a ${AUDIENCE_NODE_MANAGEMENT} token must name a node`, { details: { claim: 'node' } });
    }
  }
  if (route.nodeId !== undefined && claims.node !== undefined && claims.node !== route.nodeId) {
    throw new AuthError('node_mismatch', 'the token is for another node', { details: { claim: 'node' } });
  }
  if (route.workspaceId !== undefined && claims.workspace !== undefined && claims.workspace !== route.workspaceId) {
    throw new AuthError('workspace_mismatch', 'the token is for another workspace', { details: { claim: 'workspace' } });
  }
}

/** Longest Authorization header value / token accepted, in characters (8 KiB). */
export const MAX_TOKEN_LENGTH = 8192;

// RFC 6750 b64token: the only characters a Bearer credential may hold.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
 * Accepts what Node gives for a header (`string | string[] | undefined`); two headers are
 * refused rather than guessed between.
 *
 * @throws {@link AuthError} `token_missing` when there is no header or it is empty,
 *   `token_malformed` when the scheme is not Bearer, there are two headers, or the token is
 *   not a b64token or longer than {@link MAX_TOKEN_LENGTH}. The message never contains the value.
 */
export function bearerToken(headerValue: string | readonly string[] | undefined | null): string {
  if (headerValue === undefined || headerValue === null) throw new AuthError('token_missing', 'no Authorization header');
  if (typeof headerValue !== 'string') {
    if (headerValue.length === 0) throw new AuthError('token_missing', 'no Authorization header');
    if (headerValue.length > 1) throw new AuthError('token_malformed', 'more than one Authorization header');
    return bearerToken(headerValue[0]);
  }
  const value = headerValue.trim();
  if (value === '') throw new AuthError('token_missing', 'empty Authorization header');
  if (value.length > MAX_TOKEN_LENGTH + 7) throw new AuthError('token_malformed', `Authorization header longer than ${MAX_TOKEN_LENGTH} characters`);
  if (value.toLowerCase() === 'bearer') throw new AuthError('token_missing', 'Bearer with no token');
  const [, scheme = '', rest = ''] = /^([A-Za-z]+) +(.*)$/.exec(value) ?? [];
  if (scheme.toLowerCase() !== 'bearer') throw new AuthError('token_malformed', 'Authorization scheme is not Bearer');
  const token = rest.trim();
  if (token === '') throw new AuthError('token_missing', 'Bearer with no token');
  if (!B64TOKEN.test(token)) throw new AuthError('token_malformed', 'the Bearer token holds characters a token cannot');
  return token;
}

/**
 * A stand-in for a token in logs: its length and the first 12 hex digits of its SHA-256,
 * enough to tell two tokens apart across log lines, useless to replay.
 */
export function redactToken(token: string): string {
  return `[token sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)} len:${token.length}]`;
}
