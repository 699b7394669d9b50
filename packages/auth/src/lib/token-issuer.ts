/**
 * Minting short-lived tokens against the claims contract, signed by a {@link KeyRing}'s
 * current key: what the hub hands to browsers and node agents.
 */
import { randomUUID } from 'node:crypto';
import { BosunError } from '@bosun/protocol';
import { systemClock, type Clock } from '@bosun/util';
import { SignJWT } from 'jose';
import { AUDIENCE_NODE_MANAGEMENT, AUDIENCE_WORKSPACE_TERMINAL } from './claims.js';
import type { KeyRing } from './key-ring.js';
import { MAX_CLOCK_TOLERANCE_SEC } from './jwt-verifier.js';

/** Options of {@link TokenIssuer}. */
export interface TokenIssuerOptions {
  /** Where the signing key comes from. */
  keyRing: KeyRing;
  /** The `iss` of every token: the control plane's base URL, exactly as verifiers are configured with it. */
  issuer: string;
  /** Lifetime when a mint asks for none, in seconds (default 900 = 15 min). */
  defaultTtlSec?: number;
  /**
   * Longest lifetime a mint may ask for, in seconds (default 86 400 = 24 h). Must fit in the
   * key ring's overlap: `maxTtlSec` + 60 s of skew ≤ `retireAfterMs`, so no token outlives
   * its published key.
   */
  maxTtlSec?: number;
  /** Time source (default the system clock). */
  clock?: Clock;
}

/** What to mint. */
export interface MintRequest {
  /** The user id. */
  sub: string;
  /** The audience (`workspace-terminal`, `node-management`, or another the verifier accepts). */
  audience: string;
  /** The workspace id; required for `workspace-terminal`. */
  workspace?: string;
  /** The node id; required for `node-management`. */
  node?: string;
  /** Lifetime in seconds (default `defaultTtlSec`; at most `maxTtlSec`). */
  ttlSec?: number;
}

/** A minted token and the facts about it a caller may show or store. */
export interface MintedToken {
  /** The compact JWS (a secret: never log it). */
  token: string;
  /** Its unique id. */
  jti: string;
  /** The key that signed it. */
  kid: string;
  /** Issued at / not before, seconds since the epoch. */
  iat: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/**
 * Mints tokens with `iss`, `sub`, `aud`, `iat`, `nbf` (= `iat`), `exp`, a random `jti` and
 * the contract's `workspace`/`node` claims, signed with the key ring's current key (header
 * `alg`, `kid`, `typ: JWT`). Refuses a token its own verifiers would refuse for a missing
 * claim.
 */
export class TokenIssuer {
  private readonly defaultTtlSec: number;
  private readonly maxTtlSec: number;
  private readonly clock: Clock;

  /** @throws BosunError `invalid_argument` for a bad option or a `maxTtlSec` longer than the key overlap */
  constructor(private readonly o: TokenIssuerOptions) {
    if (typeof o.issuer !== 'string' || o.issuer === '') throw BosunError.invalidArgument('issuer must be a non-empty string');
    this.maxTtlSec = o.maxTtlSec ?? 86_400;
    this.defaultTtlSec = o.defaultTtlSec ?? Math.min(900, this.maxTtlSec);
    this.clock = o.clock ?? systemClock;
    if (!Number.isInteger(this.maxTtlSec) || this.maxTtlSec <= 0) throw BosunError.invalidArgument('maxTtlSec must be a positive integer');
    if (!Number.isInteger(this.defaultTtlSec) || this.defaultTtlSec <= 0 || this.defaultTtlSec > this.maxTtlSec) {
      throw BosunError.invalidArgument('defaultTtlSec must be a positive integer no larger than maxTtlSec');
    }
    if ((this.maxTtlSec + MAX_CLOCK_TOLERANCE_SEC) * 1000 > o.keyRing.retireAfterMs) {
      throw BosunError.invalidArgument('maxTtlSec plus 60 s of skew is longer than the key ring keeps a superseded key published', {
        maxTtlSec: this.maxTtlSec,
        retireAfterMs: o.keyRing.retireAfterMs,
      });
    }
  }

  /**
   * Signs a token for `req`.
   *
   * @throws BosunError `invalid_argument` for an empty `sub`/`audience`, a `ttlSec` out of
   *   range, or a contract audience without its claim
   */
  async mint(req: MintRequest): Promise<MintedToken> {
    const nonEmpty = (name: string, v: unknown, required: boolean) => {
      if (v === undefined && !required) return;
      if (typeof v !== 'string' || v === '' || v.length > 256) throw BosunError.invalidArgument(`${name} must be a string of 1 to 256 characters`, { path: [name] });
    };
    nonEmpty('sub', req.sub, true);
    nonEmpty('audience', req.audience, true);
    nonEmpty('workspace', req.workspace, req.audience === AUDIENCE_WORKSPACE_TERMINAL);
    nonEmpty('node', req.node, req.audience === AUDIENCE_NODE_MANAGEMENT);
    const ttl = req.ttlSec ?? this.defaultTtlSec;
    if (!Number.isInteger(ttl) || ttl <= 0 || ttl > this.maxTtlSec) {
      throw BosunError.invalidArgument(`ttlSec must be an integer between 1 and ${this.maxTtlSec}`, { path: ['ttlSec'], ttlSec: req.ttlSec });
    }
    const key = this.o.keyRing.signingKey();
    const iat = Math.floor(this.clock.now() / 1000);
    const exp = iat + ttl;
    const jti = randomUUID();
    const claims: Record<string, string> = {};
    if (req.workspace !== undefined) claims['workspace'] = req.workspace;
    if (req.node !== undefined) claims['node'] = req.node;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.o.issuer)
      .setSubject(req.sub)
      .setAudience(req.audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key.privateKey);
    return { token, jti, kid: key.kid, iat, exp };
  }
}
