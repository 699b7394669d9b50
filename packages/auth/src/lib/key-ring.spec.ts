import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock, type ManualClock } from '@bosun/util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIENCE_NODE_MANAGEMENT, AUDIENCE_WORKSPACE_TERMINAL } from './claims.js';
import { JwtVerifier } from './jwt-verifier.js';
import { startJwksServer, type JwksServer } from './jwks-server.test-util.js';
import { KeyRing } from './key-ring.js';
import { TokenIssuer } from './token-issuer.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const tmp = () => mkdtempSync(join(tmpdir(), 'bosun-keys-'));

describe('KeyRing', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = manualClock(T0);
  });

  it('publishes no private member in jwks() when keys are EdDSA or ES256', async () => {
    for (const algorithm of ['EdDSA', 'ES256'] as const) {
      const ring = await KeyRing.open({ algorithm, clock });
      await ring.rotate();
      const doc = ring.jwks();
      expect(doc.keys).toHaveLength(2);
      for (const k of doc.keys) {
        for (const m of PRIVATE_MEMBERS) expect(k).not.toHaveProperty(m);
        expect(k).toMatchObject({ alg: algorithm, use: 'sig', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      }
      expect(JSON.stringify(doc)).not.toMatch(/"d"\s*:/);
    }
  });

  it('keeps each private key 0600 in a 0700 directory and loads the same keys when reopened', async () => {
    const dir = join(tmp(), 'keys');
    const ring = await KeyRing.open({ dir, clock });
    const first = ring.signingKey().kid;
    const second = await ring.rotate();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir).sort();
    expect(files).toEqual([`${first}.json`, `${second}.json`].sort());
    for (const f of files) {
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(join(dir, f), 'utf8'))).toHaveProperty('privateJwk.d');
    }
    const again = await KeyRing.open({ dir, clock });
    expect(again.signingKey().kid).toBe(second);
    expect(again.kids().sort()).toEqual([first, second].sort());
  });

  it('refuses to load a key file other users can read', async () => {
    const dir = join(tmp(), 'keys');
    const ring = await KeyRing.open({ dir, clock });
    chmodSync(join(dir, `${ring.signingKey().kid}.json`), 0o644);
    await expect(KeyRing.open({ dir, clock })).rejects.toMatchObject({ code: 'insecure_file', message: expect.stringContaining('chmod 600') });
  });

  it('drops a superseded key from the JWKS and deletes its file when retireAfterMs has passed', async () => {
    const dir = join(tmp(), 'keys');
    const ring = await KeyRing.open({ dir, clock, retireAfterMs: 3_600_000 });
    const old = ring.signingKey().kid;
    const now = await ring.rotate();
    clock.advance(3_599_999);
    expect(ring.kids()).toEqual([now, old]);
    clock.advance(1);
    expect(ring.kids()).toEqual([now]);
    expect(readdirSync(dir)).toEqual([`${now}.json`]);
  });
});

describe('TokenIssuer', () => {
  let clock: ManualClock;
  let server: JwksServer;
  let ring: KeyRing;
  beforeEach(async () => {
    clock = manualClock(T0);
    ring = await KeyRing.open({ clock });
    server = await startJwksServer();
    server.setDocument(ring.jwks());
  });
  afterEach(async () => {
    await server.close();
  });

  it('mints a token with iss, sub, aud, iat, nbf, exp, jti and the kid header when asked for a workspace token', async () => {
    const issuer = new TokenIssuer({ keyRing: ring, issuer: server.url, clock });
    const m = await issuer.mint({ sub: 'user-1', audience: AUDIENCE_WORKSPACE_TERMINAL, workspace: 'ws-a' });
    expect(decodeProtectedHeader(m.token)).toEqual({ alg: 'EdDSA', kid: ring.signingKey().kid, typ: 'JWT' });
    const iat = T0 / 1000;
    expect(decodeJwt(m.token)).toEqual({ iss: server.url, sub: 'user-1', aud: AUDIENCE_WORKSPACE_TERMINAL, workspace: 'ws-a', iat, nbf: iat, exp: iat + 900, jti: m.jti });
    const v = new JwtVerifier({ controlPlaneUrl: server.url, clock });
    await expect(v.verify(m.token, { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'ws-a' })).resolves.toMatchObject({ sub: 'user-1', workspace: 'ws-a', jti: m.jti });
  });

  it('verifies a token minted with the old key until that key is retired, then refuses it with unknown_kid', async () => {
    const issuer = new TokenIssuer({ keyRing: ring, issuer: server.url, clock, maxTtlSec: 3600 });
    const oldToken = (await issuer.mint({ sub: 'user-1', audience: AUDIENCE_NODE_MANAGEMENT, node: 'node-a', ttlSec: 3600 })).token;
    const oldKid = ring.signingKey().kid;
    await ring.rotate();
    server.setDocument(ring.jwks());
    const newToken = (await issuer.mint({ sub: 'user-1', audience: AUDIENCE_NODE_MANAGEMENT, node: 'node-a' })).token;
    expect(decodeProtectedHeader(newToken).kid).not.toBe(oldKid);

    // The verifier's own clock stays inside the old token's lifetime throughout.
    const verifierClock = manualClock(T0 + 60_000);
    const v = new JwtVerifier({ controlPlaneUrl: server.url, clock: verifierClock, nodeId: 'node-a', refreshIntervalMs: 60_000 });
    await expect(v.verify(oldToken, { audience: AUDIENCE_NODE_MANAGEMENT })).resolves.toMatchObject({ node: 'node-a' });
    await expect(v.verify(newToken, { audience: AUDIENCE_NODE_MANAGEMENT })).resolves.toMatchObject({ node: 'node-a' });

    clock.advance(ring.retireAfterMs);
    server.setDocument(ring.jwks());
    expect(ring.kids()).not.toContain(oldKid);
    // The next periodic refresh drops the old key from the verifier's cache.
    verifierClock.advance(60_000);
    await v.verify(newToken, { audience: AUDIENCE_NODE_MANAGEMENT });
    await expect.poll(() => v.cachedKids()).not.toContain(oldKid);
    await expect(v.verify(oldToken, { audience: AUDIENCE_NODE_MANAGEMENT })).rejects.toMatchObject({ reason: 'unknown_kid', status: 401 });
  });

  it('throws invalid_argument when ttlSec is out of range or a contract audience lacks its claim', async () => {
    const issuer = new TokenIssuer({ keyRing: ring, issuer: server.url, clock });
    const bad = [
      { sub: 'u', audience: AUDIENCE_WORKSPACE_TERMINAL, workspace: 'w', ttlSec: 86_401 },
      { sub: 'u', audience: AUDIENCE_WORKSPACE_TERMINAL, workspace: 'w', ttlSec: 0 },
      { sub: 'u', audience: AUDIENCE_WORKSPACE_TERMINAL, workspace: 'w', ttlSec: 1.5 },
      { sub: 'u', audience: AUDIENCE_WORKSPACE_TERMINAL },
      { sub: 'u', audience: AUDIENCE_NODE_MANAGEMENT },
      { sub: '', audience: AUDIENCE_NODE_MANAGEMENT, node: 'n' },
    ];
    for (const req of bad) await expect(issuer.mint(req), JSON.stringify(req)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(issuer.mint({ sub: 'u', audience: AUDIENCE_WORKSPACE_TERMINAL, workspace: 'w', ttlSec: 86_400 })).resolves.toMatchObject({ exp: T0 / 1000 + 86_400 });
  });

  it('throws invalid_argument when maxTtlSec would outlive the key overlap', async () => {
    const short = await KeyRing.open({ clock, retireAfterMs: 3_600_000 });
    expect(() => new TokenIssuer({ keyRing: short, issuer: server.url, maxTtlSec: 3600 })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => new TokenIssuer({ keyRing: short, issuer: server.url, maxTtlSec: 3540 })).not.toThrow();
  });
});
