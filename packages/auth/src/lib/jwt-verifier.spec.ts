import { randomUUID } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { manualClock, type ManualClock } from '@bosun/util';
import { SignJWT, base64url, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthError, type AuthReason } from './auth-error.js';
import { AUDIENCE_NODE_MANAGEMENT, AUDIENCE_WORKSPACE_TERMINAL } from './claims.js';
import { JwtVerifier, isLoopbackHost, type JwtVerifierOptions } from './jwt-verifier.js';
import { recordingLogger, startJwksServer, startSilentServer, type JwksServer } from './jwks-server.test-util.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const sec = (ms: number) => Math.floor(ms / 1000);

interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function makeKey(alg: 'EdDSA' | 'ES256' | 'RS256' | 'ES384' | 'RS384', kid = `k-${randomUUID()}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

const allTokens: string[] = [];
const logger = recordingLogger();

describe('JwtVerifier', () => {
  let server: JwksServer;
  let ed: TestKey;
  let es: TestKey;
  let rs: TestKey;
  let clock: ManualClock;

  const verifier = (o: Partial<JwtVerifierOptions> = {}) =>
    new JwtVerifier({ controlPlaneUrl: server.url, clock, logger, nodeId: 'node-a', ...o });

  async function sign(key: TestKey, claims: Record<string, unknown> = {}, opts: { header?: Record<string, unknown>; iatMs?: number; ttlSec?: number } = {}) {
    const iat = sec(opts.iatMs ?? clock.now());
    const token = await new SignJWT({ workspace: 'ws-a', ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...opts.header })
      .setIssuer((claims['iss'] as string | undefined) ?? server.url)
      .setSubject('user-1')
      .setAudience((claims['aud'] as string | undefined) ?? AUDIENCE_WORKSPACE_TERMINAL)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (opts.ttlSec ?? 900))
      .setJti(randomUUID())
      .sign(key.privateKey);
    allTokens.push(token);
    return token;
  }

  async function refusal(p: Promise<unknown>): Promise<AuthError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthError);
    return err as AuthError;
  }

  async function expectRefused(p: Promise<unknown>, reason: AuthReason, status: number) {
    const err = await refusal(p);
    expect({ reason: err.reason, status: err.status, detailReason: err.details?.['reason'] }).toEqual({ reason, status, detailReason: reason });
    return err;
  }

  beforeAll(async () => {
    [ed, es, rs] = await Promise.all([makeKey('EdDSA'), makeKey('ES256'), makeKey('RS256')]);
  });
  beforeEach(async () => {
    clock = manualClock(T0);
    server = await startJwksServer({ keys: [ed.publicJwk, es.publicJwk, rs.publicJwk] });
  });
  afterEach(async () => {
    await server.close();
  });
  afterAll(() => {
    // Every refusal above was logged; no line may hold a token, or its signature part.
    expect(logger.lines.length).toBeGreaterThan(0);
    const text = logger.lines.join('\n');
    for (const t of allTokens) {
      expect(text).not.toContain(t);
      expect(text).not.toContain(t.split('.')[2] || t);
    }
  });

  it('returns typed claims when a token signed by each allowed algorithm is valid', async () => {
    const v = verifier();
    for (const key of [ed, es, rs]) {
      const claims = await v.verify(await sign(key, { node: 'node-a' }), { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'ws-a' });
      expect(claims).toMatchObject({ sub: 'user-1', workspace: 'ws-a', node: 'node-a', aud: [AUDIENCE_WORKSPACE_TERMINAL], iss: server.url, exp: sec(T0) + 900, iat: sec(T0) });
      expect(typeof claims.jti).toBe('string');
    }
    expect(server.requests()).toBe(1);
  });

  it('refuses with token_missing (401) when there is no token', async () => {
    const v = verifier();
    await expectRefused(v.verify(undefined, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'token_missing', 401);
    await expectRefused(v.verify('', { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'token_missing', 401);
    expect(server.requests()).toBe(0);
  });

  it('refuses with token_malformed (401) when the token is not a compact JWS', async () => {
    const v = verifier();
    for (const t of ['abc', 'a.b.c', `${base64url.encode('{"alg":"EdDSA"}')}.x.y.z.w`, 'x'.repeat(9000)]) {
      await expectRefused(v.verify(t, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'token_malformed', 401);
    }
  });

  it('refuses with token_expired (401) when exp is past by more than the clock tolerance', async () => {
    const v = verifier({ clockToleranceSec: 30 });
    const token = await sign(ed, {}, { ttlSec: 60 });
    clock.advance(60_000 + 29_000);
    await expect(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL })).resolves.toMatchObject({ sub: 'user-1' });
    clock.advance(2_000);
    await expectRefused(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'token_expired', 401);
  });

  it('refuses with token_not_yet_valid (401) when nbf is ahead by more than the clock tolerance', async () => {
    const v = verifier({ clockToleranceSec: 30 });
    const soon = await new SignJWT({ workspace: 'ws-a' })
      .setProtectedHeader({ alg: 'EdDSA', kid: ed.kid })
      .setIssuer(server.url)
      .setSubject('user-1')
      .setAudience(AUDIENCE_WORKSPACE_TERMINAL)
      .setNotBefore(sec(T0) + 29)
      .setExpirationTime(sec(T0) + 900)
      .sign(ed.privateKey);
    const later = await new SignJWT({ workspace: 'ws-a' })
      .setProtectedHeader({ alg: 'EdDSA', kid: ed.kid })
      .setIssuer(server.url)
      .setSubject('user-1')
      .setAudience(AUDIENCE_WORKSPACE_TERMINAL)
      .setNotBefore(sec(T0) + 120)
      .setExpirationTime(sec(T0) + 900)
      .sign(ed.privateKey);
    allTokens.push(soon, later);
    await expect(v.verify(soon, { audience: AUDIENCE_WORKSPACE_TERMINAL })).resolves.toMatchObject({ sub: 'user-1' });
    await expectRefused(v.verify(later, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'token_not_yet_valid', 401);
  });

  it('refuses with wrong_audience (401) when the token is for another audience', async () => {
    const v = verifier();
    const token = await sign(ed, { aud: AUDIENCE_NODE_MANAGEMENT, node: 'node-a' });
    await expectRefused(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'wrong_audience', 401);
  });

  it('refuses with wrong_issuer (401) when another control plane issued the token', async () => {
    const v = verifier();
    await expectRefused(v.verify(await sign(ed, { iss: 'https://evil.example' }), { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'wrong_issuer', 401);
    // Exactly the configured string: a trailing slash is another issuer.
    await expectRefused(v.verify(await sign(ed, { iss: `${server.url}/` }), { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'wrong_issuer', 401);
  });

  it('refuses with bad_signature (401) when a byte of the payload or of the signature is flipped', async () => {
    const v = verifier();
    const token = await sign(ed);
    const [h, p, s] = token.split('.') as [string, string, string];
    const flip = (part: string) => {
      const i = Math.floor(part.length / 2);
      return part.slice(0, i) + (part[i] === 'A' ? 'B' : 'A') + part.slice(i + 1);
    };
    // A forged payload: same header and signature, a claim changed to another workspace.
    const forged = base64url.encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(p))), workspace: 'ws-b' }));
    for (const t of [`${h}.${flip(p)}.${s}`, `${h}.${p}.${flip(s)}`, `${h}.${forged}.${s}`]) {
      allTokens.push(t);
      await expectRefused(v.verify(t, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'bad_signature', 401);
    }
  });

  it('refuses with bad_signature (401) when the token is signed by another key under a published kid', async () => {
    const v = verifier();
    const impostor = { ...(await makeKey('EdDSA')), kid: ed.kid };
    await expectRefused(v.verify(await sign(impostor), { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'bad_signature', 401);
  });

  it('tries each fitting key when a token has no kid and several keys fit its alg', async () => {
    const other = await makeKey('EdDSA');
    server.setDocument({ keys: [other.publicJwk, ed.publicJwk] });
    const v = verifier();
    const noKid = await new SignJWT({ workspace: 'ws-a' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(server.url)
      .setSubject('user-1')
      .setAudience(AUDIENCE_WORKSPACE_TERMINAL)
      .setExpirationTime(sec(T0) + 900)
      .sign(ed.privateKey);
    const stranger = await makeKey('EdDSA');
    const noKidStranger = await new SignJWT({ workspace: 'ws-a' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(server.url)
      .setSubject('user-1')
      .setAudience(AUDIENCE_WORKSPACE_TERMINAL)
      .setExpirationTime(sec(T0) + 900)
      .sign(stranger.privateKey);
    allTokens.push(noKid, noKidStranger);
    await expect(v.verify(noKid, { audience: AUDIENCE_WORKSPACE_TERMINAL })).resolves.toMatchObject({ sub: 'user-1' });
    await expectRefused(v.verify(noKidStranger, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'bad_signature', 401);
  });

  it('refuses with alg_not_allowed (401) when the token says alg none', async () => {
    const v = verifier();
    const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
    const payload = { iss: server.url, sub: 'user-1', aud: AUDIENCE_WORKSPACE_TERMINAL, workspace: 'ws-a', exp: sec(T0) + 900 };
    for (const alg of ['none', 'None', 'NONE']) {
      const t = `${enc({ alg, kid: ed.kid, typ: 'JWT' })}.${enc(payload)}.`;
      allTokens.push(t);
      await expectRefused(v.verify(t, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'alg_not_allowed', 401);
    }
    expect(server.requests()).toBe(0);
  });

  it('refuses with alg_not_allowed (401) when the token is HS256 signed with the public key as the secret', async () => {
    const v = verifier();
    for (const key of [ed, rs]) {
      const secrets = [new TextEncoder().encode(JSON.stringify(key.publicJwk)), base64url.decode(String(key.publicJwk.x ?? key.publicJwk.n))];
      for (const secret of secrets) {
        const t = await new SignJWT({ workspace: 'ws-a' })
          .setProtectedHeader({ alg: 'HS256', kid: key.kid })
          .setIssuer(server.url)
          .setSubject('user-1')
          .setAudience(AUDIENCE_WORKSPACE_TERMINAL)
          .setExpirationTime(sec(T0) + 900)
          .sign(secret);
        allTokens.push(t);
        await expectRefused(v.verify(t, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'alg_not_allowed', 401);
      }
    }
  });

  it('refuses with alg_not_allowed (401) when the token is signed with a published key of an algorithm outside the allow-list', async () => {
    const [es384, rs384] = await Promise.all([makeKey('ES384'), makeKey('RS384')]);
    server.setDocument({ keys: [ed.publicJwk, es384.publicJwk, rs384.publicJwk] });
    const v = verifier();
    for (const key of [es384, rs384]) {
      const err = await expectRefused(v.verify(await sign(key), { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'alg_not_allowed', 401);
      expect(err.details?.['alg']).toBe(key.alg);
    }
    // An allow-list narrower than the default refuses what it leaves out.
    const edOnly = verifier({ algorithms: ['EdDSA'] });
    await expectRefused(edOnly.verify(await sign(es), { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'alg_not_allowed', 401);
  });

  it('refuses with workspace_mismatch (403) when a workspace A token is used on workspace B', async () => {
    const v = verifier();
    const token = await sign(ed, { workspace: 'ws-a' });
    await expectRefused(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'ws-b' }), 'workspace_mismatch', 403);
    // Node management on a workspace route: a present workspace claim must match too.
    const mgmt = await sign(ed, { aud: AUDIENCE_NODE_MANAGEMENT, node: 'node-a', workspace: 'ws-a' });
    await expectRefused(v.verify(mgmt, { audience: AUDIENCE_NODE_MANAGEMENT, workspaceId: 'ws-b' }), 'workspace_mismatch', 403);
    await expect(v.verify(mgmt, { audience: AUDIENCE_NODE_MANAGEMENT, workspaceId: 'ws-a' })).resolves.toMatchObject({ node: 'node-a' });
  });

  it('refuses with node_mismatch (403) when a token for node B is used on node A', async () => {
    const v = verifier({ nodeId: 'node-a' });
    await expectRefused(v.verify(await sign(ed, { aud: AUDIENCE_NODE_MANAGEMENT, node: 'node-b' }), { audience: AUDIENCE_NODE_MANAGEMENT }), 'node_mismatch', 403);
    // A terminal token pinned to another node is refused as well.
    await expectRefused(v.verify(await sign(ed, { node: 'node-b' }), { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'ws-a' }), 'node_mismatch', 403);
  });

  it('refuses with claim_missing (403) when a contract audience lacks its claim', async () => {
    const v = verifier();
    const noWorkspace = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: ed.kid })
      .setIssuer(server.url)
      .setSubject('user-1')
      .setAudience(AUDIENCE_WORKSPACE_TERMINAL)
      .setExpirationTime(sec(T0) + 900)
      .sign(ed.privateKey);
    allTokens.push(noWorkspace);
    const err = await expectRefused(v.verify(noWorkspace, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'claim_missing', 403);
    expect(err.details?.['claim']).toBe('workspace');
    const mgmtNoNode = await sign(ed, { aud: AUDIENCE_NODE_MANAGEMENT });
    await expectRefused(v.verify(mgmtNoNode, { audience: AUDIENCE_NODE_MANAGEMENT }), 'claim_missing', 403);
  });

  it('refuses with token_malformed (401) when sub or exp is missing or a contract claim has the wrong type', async () => {
    const v = verifier();
    const base = () => new SignJWT({ workspace: 'ws-a' }).setProtectedHeader({ alg: 'EdDSA', kid: ed.kid }).setIssuer(server.url).setAudience(AUDIENCE_WORKSPACE_TERMINAL);
    const noSub = await base().setExpirationTime(sec(T0) + 900).sign(ed.privateKey);
    const noExp = await base().setSubject('user-1').sign(ed.privateKey);
    const badWs = await new SignJWT({ workspace: 42 }).setProtectedHeader({ alg: 'EdDSA', kid: ed.kid }).setIssuer(server.url).setAudience(AUDIENCE_WORKSPACE_TERMINAL).setSubject('u').setExpirationTime(sec(T0) + 900).sign(ed.privateKey);
    allTokens.push(noSub, noExp, badWs);
    for (const t of [noSub, noExp, badWs]) await expectRefused(v.verify(t, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'token_malformed', 401);
  });

  it('refuses with unknown_kid (401) when no published key has the kid, and picks up a key rotated in after one refresh', async () => {
    const v = verifier({ unknownKidCooldownMs: 30_000 });
    await v.verify(await sign(ed), { audience: AUDIENCE_WORKSPACE_TERMINAL });
    expect(server.requests()).toBe(1);
    const fresh = await makeKey('EdDSA');
    const token = await sign(fresh);
    // Not published yet, and the last fetch was just now: refused without a fetch.
    await expectRefused(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'unknown_kid', 401);
    expect(server.requests()).toBe(1);
    // The control plane rotates it in; once the window has passed, one refresh finds it.
    server.setDocument({ keys: [ed.publicJwk, fresh.publicJwk] });
    clock.advance(30_000);
    await expect(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL })).resolves.toMatchObject({ sub: 'user-1' });
    expect(server.requests()).toBe(2);
    expect(v.cachedKids()).toContain(fresh.kid);
  });

  it('checks a repeated token\'s signature once, yet refuses it once its key is retired from the JWKS', async () => {
    const v = verifier({ refreshIntervalMs: 60_000, unknownKidCooldownMs: 1_000 });
    const token = await sign(ed, {}, { ttlSec: 300 });
    for (let i = 0; i < 5; i++) await v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'ws-a' });
    expect(v.stats.cacheHits).toBe(4);
    // The route checks still run on a cached token: another workspace is refused.
    await expectRefused(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'ws-b' }), 'workspace_mismatch', 403);
    // Another audience is a different entry, checked by jose: refused.
    await expectRefused(v.verify(token, { audience: AUDIENCE_NODE_MANAGEMENT }), 'wrong_audience', 401);
    // The control plane retires the key; after the next refresh the cached token is checked again, and refused.
    server.setDocument({ keys: [es.publicJwk] });
    clock.advance(60_000);
    await v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL }).catch(() => undefined); // starts the background refresh
    await v.refresh();
    await expectRefused(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'unknown_kid', 401);
  });

  it('refuses a cached token once it has expired', async () => {
    const v = verifier();
    const token = await sign(ed, {}, { ttlSec: 60 });
    await v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL });
    await v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL });
    expect(v.stats.cacheHits).toBe(1);
    clock.advance(60_000 + 30_000 + 1_000);
    await expectRefused(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'token_expired', 401);
  });

  it('fetches the JWKS at most once per window when flooded with unknown kids', async () => {
    const v = verifier({ unknownKidCooldownMs: 30_000, refreshIntervalMs: 3_600_000 });
    await v.verify(await sign(ed), { audience: AUDIENCE_WORKSPACE_TERMINAL });
    expect(server.requests()).toBe(1);
    const stranger = await makeKey('EdDSA');
    const flood = async () => {
      const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => sign({ ...stranger, kid: `made-up-${i}-${randomUUID()}` })));
      const results = await Promise.allSettled(tokens.map((t) => v.verify(t, { audience: AUDIENCE_WORKSPACE_TERMINAL })));
      for (const r of results) expect(r.status === 'rejected' && (r.reason as AuthError).reason).toBe('unknown_kid');
    };
    await flood();
    expect(server.requests()).toBe(1);
    clock.advance(30_000);
    await flood();
    expect(server.requests()).toBe(2);
    clock.advance(10_000);
    await flood();
    expect(server.requests()).toBe(2);
  });

  it('refuses with unknown_kid (401) when the JWKS publishes the key with its private part, ignoring that key', async () => {
    const leaked = await makeKey('EdDSA');
    const priv = { ...(await exportJWK(leaked.privateKey)), kid: leaked.kid, alg: 'EdDSA' };
    const secret = { kty: 'oct', k: base64url.encode('shared-secret'), kid: 'oct-1', alg: 'HS256' };
    server.setDocument({ keys: [ed.publicJwk, priv, secret] });
    const v = verifier();
    await expectRefused(v.verify(await sign(leaked), { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'unknown_kid', 401);
    expect(v.cachedKids()).toEqual([ed.kid]);
  });

  it('refreshes the keys in the background once refreshIntervalMs has passed, keeping them when the refresh fails', async () => {
    const v = verifier({ refreshIntervalMs: 600_000, unknownKidCooldownMs: 30_000 });
    await v.verify(await sign(ed), { audience: AUDIENCE_WORKSPACE_TERMINAL });
    clock.advance(599_000);
    await v.verify(await sign(ed), { audience: AUDIENCE_WORKSPACE_TERMINAL });
    expect(server.requests()).toBe(1);
    server.setStatus(500);
    clock.advance(1_000);
    await v.verify(await sign(ed), { audience: AUDIENCE_WORKSPACE_TERMINAL });
    await vi.waitFor(() => expect(server.requests()).toBe(2));
    // The failed refresh leaves the cached keys in use.
    await expect(v.verify(await sign(ed), { audience: AUDIENCE_WORKSPACE_TERMINAL })).resolves.toMatchObject({ sub: 'user-1' });
    await vi.waitFor(() => expect(logger.lines.some((l) => l.includes('keeping the cached keys'))).toBe(true));
  });

  it('refuses with jwks_unavailable (503) at the fetch deadline when the JWKS server accepts and never answers', async () => {
    const silent = await startSilentServer();
    try {
      const v = new JwtVerifier({ controlPlaneUrl: silent.url, clock, logger, fetchTimeoutMs: 5_000 });
      const token = await sign(ed, { iss: silent.url });
      const pending = v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL });
      let settled = false;
      pending.then(
        () => (settled = true),
        () => (settled = true),
      );
      await vi.waitFor(() => expect(silent.connections()).toBe(1));
      clock.advance(4_999);
      await tick();
      expect(settled).toBe(false);
      clock.advance(1);
      const err = await expectRefused(pending, 'jwks_unavailable', 503);
      expect(err.code).toBe('auth_unavailable');
      expect(String(err.details?.['why'])).toContain('timed out');
      // Within the cooldown no new connection is tried: refused at once.
      await expectRefused(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'jwks_unavailable', 503);
      expect(silent.connections()).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it('refuses with jwks_unavailable (503) when the JWKS answers an error or is not a key set', async () => {
    server.setStatus(502);
    await expectRefused(verifier().verify(await sign(ed), { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'jwks_unavailable', 503);
    server.setStatus(undefined);
    server.setDocument({ nope: true });
    await expectRefused(verifier().verify(await sign(ed), { audience: AUDIENCE_WORKSPACE_TERMINAL }), 'jwks_unavailable', 503);
  });

  it('throws invalid_argument when the JWKS URL is plain http on a non-loopback host', () => {
    for (const url of ['http://example.com', 'http://10.0.0.1:8080', 'http://127.0.0.1.nip.io', 'ftp://127.0.0.1', 'https://user:pw@cp.example', 'not a url']) {
      expect(() => new JwtVerifier({ controlPlaneUrl: url }), url).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
    for (const url of ['https://cp.example', 'http://127.0.0.1:9', 'http://127.8.9.10', 'http://localhost:9', 'http://[::1]:9']) {
      expect(new JwtVerifier({ controlPlaneUrl: url }).jwksUrl).toMatch(/\/\.well-known\/jwks\.json$/);
    }
    expect(new JwtVerifier({ controlPlaneUrl: 'https://cp.example/base/' }).jwksUrl).toBe('https://cp.example/base/.well-known/jwks.json');
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });

  it('throws invalid_argument when options exceed the allowed skew or algorithms', () => {
    const bad: Partial<JwtVerifierOptions>[] = [
      { clockToleranceSec: 61 },
      { clockToleranceSec: -1 },
      { algorithms: ['HS256' as 'EdDSA'] },
      { algorithms: ['EdDSA', 'none' as 'EdDSA'] },
      { algorithms: [] },
      { refreshIntervalMs: 0 },
    ];
    for (const o of bad) expect(() => new JwtVerifier({ controlPlaneUrl: 'https://cp.example', ...o }), JSON.stringify(o)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('throws invalid_argument when asked for an audience it does not accept or a node check without a node id', async () => {
    const v = verifier({ nodeId: undefined });
    await expect(v.verify(await sign(ed), { audience: 'other' })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(v.verify(await sign(ed), { audience: AUDIENCE_NODE_MANAGEMENT })).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('keeps the token out of error messages and details when it refuses', async () => {
    const v = verifier();
    const token = await sign(ed, { workspace: 'ws-a' });
    const err = await refusal(v.verify(token, { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'ws-b' }));
    const shown = JSON.stringify({ m: err.message, d: err.details, w: err.toWire(1) });
    expect(shown).not.toContain(token.split('.')[1]);
    expect(shown).not.toContain(token.split('.')[2]);
  });
});
