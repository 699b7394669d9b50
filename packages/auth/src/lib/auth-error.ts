/**
 * The one error a token refusal throws: a {@link BosunError} whose registered code gives
 * the HTTP status (`unauthorized` 401, `forbidden` 403, `auth_unavailable` 503) and whose
 * `reason` says exactly why. Neither the message nor the details ever contain the token.
 */
import { BosunError, type ErrorCode } from '@bosun/protocol';

/**
 * Why a token was refused, and the registered error code (hence HTTP status) of each:
 *
 * | reason | code | status |
 * | --- | --- | --- |
 * | `token_missing` | unauthorized | 401 |
 * | `token_malformed` | unauthorized | 401 |
 * | `token_expired` | unauthorized | 401 |
 * | `token_not_yet_valid` | unauthorized | 401 |
 * | `bad_signature` | unauthorized | 401 |
 * | `unknown_kid` | unauthorized | 401 |
 * | `alg_not_allowed` | unauthorized | 401 |
 * | `wrong_issuer` | unauthorized | 401 |
 * | `wrong_audience` | unauthorized | 401 |
 * | `jwks_unavailable` | auth_unavailable | 503 |
 * | `workspace_mismatch` | forbidden | 403 |
 * | `node_mismatch` | forbidden | 403 |
 * | `claim_missing` | forbidden | 403 |
 *
 * `jwks_unavailable` is 503, not 401: the caller's token may be perfectly good, the
 * verifying side just cannot fetch its keys. A 401 would tell a client to throw its token
 * away and log in again; a 503 tells it to retry.
 */
export const AUTH_REASONS = Object.freeze({
  token_missing: 'unauthorized',
  token_malformed: 'unauthorized',
  token_expired: 'unauthorized',
  token_not_yet_valid: 'unauthorized',
  bad_signature: 'unauthorized',
  unknown_kid: 'unauthorized',
  alg_not_allowed: 'unauthorized',
  wrong_issuer: 'unauthorized',
  wrong_audience: 'unauthorized',
  jwks_unavailable: 'auth_unavailable',
  workspace_mismatch: 'forbidden',
  node_mismatch: 'forbidden',
  claim_missing: 'forbidden',
} as const satisfies Record<string, ErrorCode>);

/** One of the keys of {@link AUTH_REASONS}. */
export type AuthReason = keyof typeof AUTH_REASONS;

/**
 * A refused token. `code` (and so `status`) follows from `reason` through
 * {@link AUTH_REASONS}; `details` is `{ reason, ...facts }` where the facts are safe to
 * log and send (a claim name, a `kid`, an `alg`), never the token or a signature.
 */
export class AuthError extends BosunError {
  /** Why the token was refused. */
  readonly reason: AuthReason;

  constructor(reason: AuthReason, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(AUTH_REASONS[reason], message, { details: { reason, ...options.details }, cause: options.cause });
    this.reason = reason;
  }

  /**
   * The `WWW-Authenticate` header value to answer with (RFC 6750 §3): `invalid_token` for
   * 401s with a credential, bare `Bearer` when none was sent, `insufficient_scope` for
   * 403s; undefined for a 503.
   */
  wwwAuthenticate(realm = 'bosun'): string | undefined {
    if (this.code === 'auth_unavailable') return undefined;
    if (this.reason === 'token_missing') return `Bearer realm="${realm}"`;
    const error = this.code === 'forbidden' ? 'insufficient_scope' : 'invalid_token';
    return `Bearer realm="${realm}", error="${error}", error_description="${this.reason}"`;
  }
}

/** True when `err` is an {@link AuthError}, optionally with `reason`. */
export function isAuthError(err: unknown, reason?: AuthReason): err is AuthError {
  return err instanceof AuthError && (reason === undefined || err.reason === reason);
}
