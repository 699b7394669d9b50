/**
 * JWT validation against a control plane's JWKS. The key set is fetched by this class
 * (not jose's `createRemoteJWKSet`) so that the clock, the fetch deadline, the refresh
 * period and the unknown-`kid` rate limit are all injected and testable; the keys are
 * then handed to jose's `createLocalJWKSet` and every signature and claim check is jose's.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@bosun/logger';
import { silentLogger } from '@bosun/logger';
import { BosunError } from '@bosun/protocol';
import { isLoopbackHost, LogThrottle, readBoundedText, systemClock, withDeadline, type Clock } from '@bosun/util';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { AuthError, type AuthReason } from './auth-error.js';
import { AUDIENCE_NODE_MANAGEMENT, AUDIENCE_WORKSPACE_TERMINAL, MAX_TOKEN_LENGTH, authorize, type VerifiedClaims } from './claims.js';

/** The signature algorithms a verifier may accept: this list is both the default and the maximum. */
export const VERIFIER_ALGORITHMS = Object.freeze(['EdDSA', 'ES256', 'RS256'] as const);

/** One of {@link VERIFIER_ALGORITHMS}. */
export type VerifierAlgorithm = (typeof VERIFIER_ALGORITHMS)[number];

/** Largest clock tolerance a verifier accepts, in seconds. */
export const MAX_CLOCK_TOLERANCE_SEC = 60;

/** Most verified tokens a {@link JwtVerifier} remembers (the oldest are forgotten first). */
export const MAX_VERIFIED_CACHE = 10_000;

/** Options of {@link JwtVerifier}. Validated once by the constructor, then frozen. */
export interface JwtVerifierOptions {
  /**
   * The control plane's base URL. Tokens must carry exactly this string as `iss`; keys are
   * fetched from `{controlPlaneUrl}/.well-known/jwks.json` (a trailing `/` is not doubled).
   * Must be `https:`, or `http:` on a loopback host (127.0.0.0/8, ::1, localhost).
   */
  controlPlaneUrl: string;
  /** Audiences this verifier accepts at all (default `[workspace-terminal, node-management]`). */
  audiences?: readonly string[];
  /** This node's id, the default `nodeId` of every {@link JwtVerifier.verify} call (default none). */
  nodeId?: string;
  /** Clock skew allowed on `exp` and `nbf`, in seconds (default 30; at most 60). */
  clockToleranceSec?: number;
  /** Accepted `alg` values (default and maximum: EdDSA, ES256, RS256). */
  algorithms?: readonly VerifierAlgorithm[];
  /** Keys older than this are refetched, in the background, on the next verify (default 600 000 = 10 min). */
  refreshIntervalMs?: number;
  /**
   * Least time between two JWKS fetches caused by an unknown `kid` or a failed fetch
   * (default 30 000), so a flood of made-up `kid`s costs the control plane one request per window.
   */
  unknownKidCooldownMs?: number;
  /** Deadline of one JWKS fetch, body included (default 5 000). */
  fetchTimeoutMs?: number;
  /** Largest JWKS body read, in bytes (default 256 KiB). */
  maxJwksBytes?: number;
  /** Time source (default the system clock). Tokens are checked at `clock.now()`. */
  clock?: Clock;
  /** Logger (default silent). Tokens are never logged. */
  logger?: Logger;
  /** The fetch used for the JWKS (default the global fetch). For tests and custom CAs. */
  fetch?: typeof globalThis.fetch;
}

/** What a route asks of a token in {@link JwtVerifier.verify}. */
export interface VerifyScope {
  /** The audience the route accepts; must be one of the verifier's `audiences`. */
  audience: string;
  /** The workspace the route addresses, when workspace-scoped. */
  workspaceId?: string;
  /** This node's id (default the verifier's `nodeId`). */
  nodeId?: string;
}

interface CachedKeys {
  readonly set: ReturnType<typeof createLocalJWKSet>;
  readonly kids: ReadonlySet<string>;
  readonly fetchedAt: number;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** True for localhost and loopback IP literals (one home: `@bosun/util`). */
export { isLoopbackHost };

/**
 * Verifies bearer JWTs minted by one control plane: signature against its JWKS (cached,
 * refreshed every `refreshIntervalMs`, and on an unknown `kid` at most once per
 * `unknownKidCooldownMs`), `alg` in the allow-list, `iss`, `aud`, `exp`/`nbf` within the
 * clock tolerance, then the claims contract ({@link authorize}).
 *
 * Every refusal is an {@link AuthError} with a `reason`; the token never appears in an
 * error or a log line.
 */
export class JwtVerifier {
  /** Where the keys come from. */
  readonly jwksUrl: string;
  /** The `iss` every token must carry. */
  readonly issuer: string;
  private readonly o: Readonly<Required<Omit<JwtVerifierOptions, 'nodeId' | 'controlPlaneUrl'>>> & { nodeId: string | undefined };
  private readonly throttle: LogThrottle;
  private keys: CachedKeys | undefined;
  /**
   * Tokens whose signature and times already checked out, by a hash of token and
   * audience: a page that sends the same token on every request pays for the signature
   * once. An entry holds only while the key set it was checked against is the current
   * one (a refresh or a retired key re-checks it) and until `exp` (with the skew).
   */
  private readonly verified = new Map<string, { claims: VerifiedClaims; keys: CachedKeys }>();
  /** Verifications answered from the cache (for tests and metrics). */
  readonly stats = { cacheHits: 0 };
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<CachedKeys> | undefined;
  private readonly closed = new AbortController();

  /** @throws BosunError `invalid_argument` for a non-HTTPS non-loopback URL or an option out of range. */
  constructor(options: JwtVerifierOptions) {
    const url = parseControlPlaneUrl(options.controlPlaneUrl);
    this.issuer = options.controlPlaneUrl;
    this.jwksUrl = `${url.href.replace(/\/+$/, '')}/.well-known/jwks.json`;
    const clockToleranceSec = options.clockToleranceSec ?? 30;
    if (!Number.isFinite(clockToleranceSec) || clockToleranceSec < 0 || clockToleranceSec > MAX_CLOCK_TOLERANCE_SEC) {
      throw BosunError.invalidArgument(`clockToleranceSec must be between 0 and ${MAX_CLOCK_TOLERANCE_SEC}`, { clockToleranceSec });
    }
    const algorithms = [...(options.algorithms ?? VERIFIER_ALGORITHMS)];
    const bad = algorithms.filter((a) => !(VERIFIER_ALGORITHMS as readonly string[]).includes(a));
    if (algorithms.length === 0 || bad.length > 0) {
      throw BosunError.invalidArgument(`algorithms must be a non-empty subset of ${VERIFIER_ALGORITHMS.join(', ')}`, { rejected: bad });
    }
    const audiences = [...(options.audiences ?? [AUDIENCE_WORKSPACE_TERMINAL, AUDIENCE_NODE_MANAGEMENT])];
    if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) {
      throw BosunError.invalidArgument('audiences must be non-empty strings');
    }
    const positive = (name: string, v: number | undefined, dflt: number) => {
      const n = v ?? dflt;
      if (!Number.isFinite(n) || n <= 0) throw BosunError.invalidArgument(`${name} must be a positive number`, { [name]: v });
      return n;
    };
    const logger = options.logger ?? silentLogger;
    const clock = options.clock ?? systemClock;
    this.o = Object.freeze({
      audiences: Object.freeze(audiences),
      nodeId: options.nodeId,
      clockToleranceSec,
      algorithms: Object.freeze(algorithms),
      refreshIntervalMs: positive('refreshIntervalMs', options.refreshIntervalMs, 600_000),
      unknownKidCooldownMs: positive('unknownKidCooldownMs', options.unknownKidCooldownMs, 30_000),
      fetchTimeoutMs: positive('fetchTimeoutMs', options.fetchTimeoutMs, 5_000),
      maxJwksBytes: positive('maxJwksBytes', options.maxJwksBytes, 256 * 1024),
      clock,
      logger,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    });
    this.throttle = new LogThrottle({ logger, clock });
  }

  /**
   * Verifies `token` for the route and returns its claims.
   *
   * @throws {@link AuthError} with the refusal's `reason` (401, 403, or 503 for `jwks_unavailable`)
   * @throws BosunError `invalid_argument` when `scope.audience` is not one of this verifier's audiences
   *   or a `node-management` route has no node id (a programming error, not a refusal)
   */
  async verify(token: string | undefined | null, scope: VerifyScope): Promise<VerifiedClaims> {
    if (!this.o.audiences.includes(scope.audience)) {
      throw BosunError.invalidArgument(`audience ${JSON.stringify(scope.audience)} is not one this verifier accepts`);
    }
    const nodeId = scope.nodeId ?? this.o.nodeId;
    if (scope.audience === AUDIENCE_NODE_MANAGEMENT && nodeId === undefined) {
      throw BosunError.invalidArgument(`a ${AUDIENCE_NODE_MANAGEMENT} check needs this node's id (options.nodeId or scope.nodeId)`);
    }
    try {
      const claims = await this.verifyToken(token, scope.audience);
      authorize(claims, { audience: scope.audience, workspaceId: scope.workspaceId, nodeId });
      return claims;
    } catch (err) {
      if (err instanceof AuthError) {
        this.throttle.warn(`refused:${err.reason}`, { ...err.details, status: err.status }, 'token refused');
      }
      throw err;
    }
  }

  /**
   * Fetches the key set now, whatever the cooldown (for a warm start). Concurrent callers
   * share one fetch.
   *
   * @throws {@link AuthError} `jwks_unavailable` when the fetch fails
   */
  async refresh(): Promise<void> {
    try {
      await this.fetchKeys();
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** Stops a background fetch in flight. The verifier stays usable with the keys it has. */
  close(): void {
    this.closed.abort(new Error('verifier closed'));
  }

  /** The `kid`s of the keys currently cached (for health pages and tests). */
  cachedKids(): string[] {
    return [...(this.keys?.kids ?? [])];
  }

  private async verifyToken(token: string | undefined | null, audience: string): Promise<VerifiedClaims> {
    if (token === undefined || token === null || token === '') throw new AuthError('token_missing', 'no token');
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new AuthError('token_malformed', 'the token is not a string of at most 8 KiB');
    const cacheKey = createHash('sha256').update(audience).update('\0').update(token).digest('base64url');
    const hit = this.verified.get(cacheKey);
    if (hit) {
      const stillValid = hit.keys === this.keys && this.o.clock.now() < (hit.claims.exp + this.o.clockToleranceSec) * 1000;
      if (stillValid) {
        this.stats.cacheHits++;
        // Keeps the periodic refresh going for tokens served from the cache too.
        void this.currentKeys().catch(() => undefined);
        return hit.claims;
      }
      this.verified.delete(cacheKey);
    }
    const { claims, keys } = await this.verifySignature(token, audience);
    if (this.verified.size >= MAX_VERIFIED_CACHE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(cacheKey, { claims, keys });
    return claims;
  }

  /** Checks the signature and claims with jose; returns the claims and the key set that verified them. */
  private async verifySignature(token: string, audience: string): Promise<{ claims: VerifiedClaims; keys: CachedKeys }> {
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new AuthError('token_malformed', 'the token is not a compact JWS');
    }
    if (token.split('.').length !== 3) throw new AuthError('token_malformed', 'the token is not a compact JWS');
    const alg = header.alg;
    if (typeof alg !== 'string' || !(this.o.algorithms as readonly string[]).includes(alg)) {
      throw new AuthError('alg_not_allowed', 'the token is signed with an algorithm this verifier does not accept', {
        details: { alg: typeof alg === 'string' ? alg.slice(0, 32) : null },
      });
    }
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    if (header.kid !== undefined && kid === undefined) throw new AuthError('token_malformed', 'the token header kid is not a string');
    const kidDetail = kid === undefined ? {} : { kid: kid.slice(0, 128) };

    let keys = await this.currentKeys();
    if (kid !== undefined && !keys.kids.has(kid)) {
      if (this.o.clock.now() - this.lastAttemptAt < this.o.unknownKidCooldownMs) {
        throw new AuthError('unknown_kid', 'the token names a key the control plane does not publish', { details: kidDetail });
      }
      try {
        keys = await this.fetchKeys();
      } catch (err) {
        throw this.unavailable(err);
      }
      if (!keys.kids.has(kid)) throw new AuthError('unknown_kid', 'the token names a key the control plane does not publish', { details: kidDetail });
    }

    const opts = {
      issuer: this.issuer,
      audience,
      algorithms: [...this.o.algorithms],
      clockTolerance: this.o.clockToleranceSec,
      currentDate: new Date(this.o.clock.now()),
      requiredClaims: ['exp', 'sub', 'iss', 'aud'],
    };
    let payload: JWTPayload | undefined;
    try {
      ({ payload } = await jwtVerify(token, keys.set, opts));
    } catch (err) {
      // A token without `kid` while several keys fit its alg (a rotation overlap): jose
      // hands the candidates over and leaves trying them to the caller.
      if (!(err instanceof joseErrors.JWKSMultipleMatchingKeys)) throw mapJoseError(err, { alg, ...kidDetail });
      for await (const candidate of err as AsyncIterable<CryptoKey>) {
        try {
          ({ payload } = await jwtVerify(token, candidate, opts));
          break;
        } catch (inner) {
          if (!(inner instanceof joseErrors.JWSSignatureVerificationFailed)) throw mapJoseError(inner, { alg, ...kidDetail });
        }
      }
      if (!payload) throw mapJoseError(err, { alg, ...kidDetail });
    }
    return { claims: claimsOf(payload), keys };
  }

  private async currentKeys(): Promise<CachedKeys> {
    const now = this.o.clock.now();
    const cooled = now - this.lastAttemptAt >= this.o.unknownKidCooldownMs;
    if (!this.keys) {
      if (this.inflight) return this.inflight.catch((err: unknown) => Promise.reject(this.unavailable(err)));
      if (!cooled) throw new AuthError('jwks_unavailable', 'the control plane key set could not be fetched; retry later');
      try {
        return await this.fetchKeys();
      } catch (err) {
        throw this.unavailable(err);
      }
    }
    if (now - this.keys.fetchedAt >= this.o.refreshIntervalMs && cooled && !this.inflight) {
      // Periodic refresh in the background: requests keep using the keys they have.
      this.fetchKeys().catch((err: unknown) => this.o.logger.warn({ url: this.jwksUrl, err: messageOf(err) }, 'JWKS refresh failed; keeping the cached keys'));
    }
    return this.keys;
  }

  private fetchKeys(): Promise<CachedKeys> {
    if (this.inflight) return this.inflight;
    this.lastAttemptAt = this.o.clock.now();
    const p = withDeadline('JWKS fetch', this.o.fetchTimeoutMs, (signal) => this.download(signal), {
      clock: this.o.clock,
      signal: this.closed.signal,
    })
      .then((set) => {
        const kids = new Set(set.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
        const keys: CachedKeys = { set: createLocalJWKSet(set), kids, fetchedAt: this.o.clock.now() };
        this.keys = keys;
        this.o.logger.debug({ url: this.jwksUrl, kids: [...kids] }, 'JWKS fetched');
        return keys;
      })
      .finally(() => {
        if (this.inflight === p) this.inflight = undefined;
      });
    this.inflight = p;
    return p;
  }

  private async download(signal: AbortSignal): Promise<JSONWebKeySet> {
    const res = await this.o.fetch(this.jwksUrl, { signal, redirect: 'error', headers: { accept: 'application/json' } });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`JWKS answered HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > this.o.maxJwksBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`JWKS is ${declared} bytes, more than ${this.o.maxJwksBytes}`);
    }
    const text = await readBoundedText(res, this.o.maxJwksBytes);
    if (text === undefined) throw new Error(`JWKS is more than ${this.o.maxJwksBytes} bytes`);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new Error('JWKS is not JSON');
    }
    const keys = (doc as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new Error('JWKS has no keys array');
    const usable: JWK[] = [];
    for (const k of keys as unknown[]) {
      if (typeof k !== 'object' || k === null || typeof (k as JWK).kty !== 'string') continue;
      const jwk = k as JWK;
      // A published private or symmetric key is a control-plane bug; using it would let
      // anyone who read the JWKS sign tokens.
      if (jwk.kty === 'oct' || PRIVATE_MEMBERS.some((m) => m in jwk)) {
        this.o.logger.warn({ url: this.jwksUrl, kid: jwk.kid }, 'JWKS publishes a private or symmetric key; ignoring it');
        continue;
      }
      usable.push(jwk);
    }
    return { keys: usable };
  }

  private unavailable(err: unknown): AuthError {
    if (err instanceof AuthError) return err;
    this.o.logger.warn({ url: this.jwksUrl, err: messageOf(err) }, 'JWKS fetch failed');
    return new AuthError('jwks_unavailable', 'the control plane key set could not be fetched; retry later', { details: { why: messageOf(err) } });
  }
}

function parseControlPlaneUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw BosunError.invalidArgument('controlPlaneUrl is not a URL');
  }
  if (url.username || url.password || url.search || url.hash) {
    throw BosunError.invalidArgument('controlPlaneUrl must not carry credentials, a query or a fragment');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw BosunError.invalidArgument('controlPlaneUrl must be https: (http: only on a loopback host)', { url: url.origin });
}


function mapJoseError(err: unknown, facts: Record<string, unknown>): unknown {
  const refuse = (reason: AuthReason, message: string, extra: Record<string, unknown> = {}) => new AuthError(reason, message, { details: { ...facts, ...extra } });
  if (err instanceof joseErrors.JWTExpired) return refuse('token_expired', 'the token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'nbf') return refuse('token_not_yet_valid', 'the token is not valid yet');
    if (claim === 'iss') return refuse('wrong_issuer', 'the token was issued by another control plane');
    if (claim === 'aud') return refuse('wrong_audience', 'the token is for another audience');
    return refuse('token_malformed', `the token's ${claim} claim is missing or invalid`, { claim });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return refuse('bad_signature', 'the token signature does not verify');
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return refuse('alg_not_allowed', 'the token is signed with an algorithm this verifier does not accept');
  if (err instanceof joseErrors.JWKSNoMatchingKey) return refuse('unknown_kid', 'no published key matches the token');
  if (err instanceof joseErrors.JWKSInvalid || err instanceof joseErrors.JWKInvalid) {
    return new AuthError('jwks_unavailable', 'a published key could not be used; retry later', { details: facts });
  }
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid || err instanceof joseErrors.JOSENotSupported) {
    return refuse('token_malformed', 'the token is not a valid JWT');
  }
  return err;
}

function claimsOf(p: JWTPayload): VerifiedClaims {
  const malformed = (claim: string) => new AuthError('token_malformed', `the token's ${claim} claim has the wrong type`, { details: { claim } });
  if (typeof p.sub !== 'string' || p.sub === '') throw malformed('sub');
  if (typeof p.exp !== 'number') throw malformed('exp');
  if (typeof p.iss !== 'string') throw malformed('iss');
  const aud = typeof p.aud === 'string' ? [p.aud] : p.aud;
  if (!Array.isArray(aud)) throw malformed('aud');
  const workspace: unknown = p['workspace'];
  const node: unknown = p['node'];
  if (workspace !== undefined && (typeof workspace !== 'string' || workspace === '')) throw malformed('workspace');
  if (node !== undefined && (typeof node !== 'string' || node === '')) throw malformed('node');
  if (p.iat !== undefined && typeof p.iat !== 'number') throw malformed('iat');
  if (p.jti !== undefined && typeof p.jti !== 'string') throw malformed('jti');
  return {
    sub: p.sub,
    aud,
    exp: p.exp,
    iss: p.iss,
    ...(workspace === undefined ? {} : { workspace: workspace as string }),
    ...(node === undefined ? {} : { node: node as string }),
    ...(p.iat === undefined ? {} : { iat: p.iat }),
    ...(p.jti === undefined ? {} : { jti: p.jti }),
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
