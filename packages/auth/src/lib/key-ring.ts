/**
 * The hub's signing keys: one current key that signs, earlier keys still published until
 * every token they signed has expired, each private JWK kept 0600 in its own file.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@bosun/logger';
import { silentLogger } from '@bosun/logger';
import { BosunError } from '@bosun/protocol';
import { systemClock, writePrivateJsonSync, type Clock } from '@bosun/util';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { readPrivateJsonSync } from './private-file.js';

/** Algorithms a {@link KeyRing} signs with. */
export type SigningAlgorithm = 'EdDSA' | 'ES256';

/** A public key as published in the JWKS document: no private member, ever. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y?: string;
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

/** The document served at `/.well-known/jwks.json`. */
export interface JwksDocument {
  keys: PublicJwk[];
}

/** Options of {@link KeyRing.open}. */
export interface KeyRingOptions {
  /** Directory of the private key files (`<kid>.json`, 0600, directory 0700); none = keys live in memory only. */
  dir?: string;
  /** Algorithm of new keys (default `EdDSA`, Ed25519; `ES256` is P-256). Loaded keys keep their own. */
  algorithm?: SigningAlgorithm;
  /**
   * How long a key stays published after a newer one took over, in ms (default 24 h + 5 min:
   * the longest token lifetime {@link TokenIssuer} allows by default plus clock skew).
   */
  retireAfterMs?: number;
  /** Time source (default the system clock). */
  clock?: Clock;
  /** Logger (default silent). Private keys are never logged. */
  logger?: Logger;
}

/** Default {@link KeyRingOptions.retireAfterMs}. */
export const DEFAULT_RETIRE_AFTER_MS = 24 * 3600_000 + 5 * 60_000;

interface StoredKey {
  v: 1;
  kid: string;
  alg: SigningAlgorithm;
  createdAt: number;
  supersededAt?: number;
  privateJwk: JWK;
}

interface RingKey {
  stored: StoredKey;
  privateKey: CryptoKey;
  publicJwk: PublicJwk;
}

/** The key that signs now. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

const KID = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Generates, persists, rotates and publishes signing keys. `kid` is the key's RFC 7638
 * thumbprint. After {@link KeyRing.rotate} the new key signs and the previous ones stay in
 * {@link KeyRing.jwks} until `retireAfterMs` has passed since they were superseded; then
 * they are dropped (and their files deleted).
 */
export class KeyRing {
  private readonly keys = new Map<string, RingKey>();

  private constructor(
    private readonly o: { dir: string | undefined; algorithm: SigningAlgorithm; retireAfterMs: number; clock: Clock; logger: Logger },
  ) {}

  /**
   * Loads the keys in `options.dir` (creating a first key when there is none) and returns
   * the ring.
   *
   * @throws InsecureFileError when a key file is a symlink or open to other users
   * @throws BosunError `invalid_argument` for a bad option or an unreadable key file
   */
  static async open(options: KeyRingOptions = {}): Promise<KeyRing> {
    const algorithm = options.algorithm ?? 'EdDSA';
    if (algorithm !== 'EdDSA' && algorithm !== 'ES256') throw BosunError.invalidArgument('algorithm must be EdDSA or ES256', { algorithm });
    const retireAfterMs = options.retireAfterMs ?? DEFAULT_RETIRE_AFTER_MS;
    if (!Number.isFinite(retireAfterMs) || retireAfterMs < 0) throw BosunError.invalidArgument('retireAfterMs must be >= 0', { retireAfterMs });
    const ring = new KeyRing({ dir: options.dir, algorithm, retireAfterMs, clock: options.clock ?? systemClock, logger: options.logger ?? silentLogger });
    await ring.load();
    ring.prune();
    if (!ring.currentKey()) await ring.rotate();
    return ring;
  }

  /** How long a superseded key stays published, in ms. */
  get retireAfterMs(): number {
    return this.o.retireAfterMs;
  }

  /** The key that signs now. */
  signingKey(): SigningKey {
    const k = this.currentKey();
    if (!k) throw new BosunError('internal', 'key ring has no current key');
    return { kid: k.stored.kid, alg: k.stored.alg, privateKey: k.privateKey };
  }

  /**
   * Makes a new key the signing key; the previous one stays published for `retireAfterMs`.
   * The new key's file is written before the old one is marked superseded, so a crash in
   * between leaves two current keys, and the newer wins at the next load.
   *
   * @returns the new key's `kid`
   */
  async rotate(): Promise<string> {
    const now = this.o.clock.now();
    const { privateKey } = await generateKeyPair(this.o.algorithm, { extractable: true, ...(this.o.algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const privateJwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(publicPart(privateJwk));
    const stored: StoredKey = { v: 1, kid, alg: this.o.algorithm, createdAt: now, privateJwk };
    const previous = [...this.keys.values()].filter((k) => k.stored.supersededAt === undefined);
    this.persist(stored);
    this.keys.set(kid, await this.ringKey(stored));
    for (const k of previous) {
      k.stored = { ...k.stored, supersededAt: now };
      this.persist(k.stored);
    }
    this.o.logger.info({ kid, alg: this.o.algorithm, previous: previous.map((k) => k.stored.kid) }, 'signing key rotated');
    this.prune();
    return kid;
  }

  /** The public JWKS document: the current key and every superseded key not yet retired. Never a private member. */
  jwks(): JwksDocument {
    this.prune();
    // Current key first, then the superseded ones, most recently superseded first.
    const rank = (k: RingKey) => k.stored.supersededAt ?? Number.POSITIVE_INFINITY;
    const keys = [...this.keys.values()].sort((a, b) => rank(b) - rank(a) || b.stored.createdAt - a.stored.createdAt);
    return { keys: keys.map((k) => ({ ...k.publicJwk })) };
  }

  /** The `kid`s published now, newest first. */
  kids(): string[] {
    return this.jwks().keys.map((k) => k.kid);
  }

  private currentKey(): RingKey | undefined {
    let best: RingKey | undefined;
    for (const k of this.keys.values()) {
      if (k.stored.supersededAt === undefined && (!best || k.stored.createdAt > best.stored.createdAt)) best = k;
    }
    return best;
  }

  private prune(): void {
    const now = this.o.clock.now();
    for (const [kid, k] of this.keys) {
      const s = k.stored.supersededAt;
      if (s !== undefined && now >= s + this.o.retireAfterMs) {
        this.keys.delete(kid);
        if (this.o.dir) rmSync(join(this.o.dir, `${kid}.json`), { force: true });
        this.o.logger.info({ kid }, 'signing key retired');
      }
    }
  }

  private persist(stored: StoredKey): void {
    if (this.o.dir) writePrivateJsonSync(join(this.o.dir, `${stored.kid}.json`), stored);
  }

  private async load(): Promise<void> {
    const dir = this.o.dir;
    if (!dir) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      if (!name.endsWith('.json') || !KID.test(name.slice(0, -5))) continue;
      const path = join(dir, name);
      const stored = readPrivateJsonSync(path) as StoredKey | undefined;
      if (!stored) continue;
      if (stored.v !== 1 || (stored.alg !== 'EdDSA' && stored.alg !== 'ES256') || typeof stored.createdAt !== 'number' || typeof stored.privateJwk !== 'object') {
        throw BosunError.invalidArgument(`${path} is not a Bosun signing key file`, { path });
      }
      const ring = await this.ringKey(stored).catch((err: unknown) => {
        throw BosunError.invalidArgument(`${path} holds an unusable key: ${err instanceof Error ? err.message : String(err)}`, { path });
      });
      if (ring.stored.kid !== name.slice(0, -5)) throw BosunError.invalidArgument(`${path}: the key's thumbprint does not match its file name`, { path });
      this.keys.set(ring.stored.kid, ring);
    }
    // A crash inside rotate() can leave two current keys: the newest signs, the others are
    // superseded now (and so stay published for the full overlap).
    const current = this.currentKey();
    for (const k of this.keys.values()) {
      if (k !== current && k.stored.supersededAt === undefined) {
        k.stored = { ...k.stored, supersededAt: this.o.clock.now() };
        this.persist(k.stored);
      }
    }
  }

  private async ringKey(stored: StoredKey): Promise<RingKey> {
    const pub = publicPart(stored.privateJwk);
    const kid = await calculateJwkThumbprint(pub);
    if (kid !== stored.kid) throw new Error('kid is not the key thumbprint');
    const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey;
    return { stored, privateKey, publicJwk: { ...pub, kid, alg: stored.alg, use: 'sig' } };
  }
}

// The public members, by whitelist: whatever else a private JWK holds never leaves.
function publicPart(jwk: JWK): { kty: string; crv: string; x: string; y?: string } {
  if (typeof jwk.kty !== 'string' || typeof jwk.crv !== 'string' || typeof jwk.x !== 'string') throw new Error('not an OKP or EC key');
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(typeof jwk.y === 'string' ? { y: jwk.y } : {}) };
}
