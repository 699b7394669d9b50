import { describe, expect, it } from 'vitest';
import { AuthError } from './auth-error.js';
import { AUDIENCE_NODE_MANAGEMENT, AUDIENCE_WORKSPACE_TERMINAL, authorize, bearerToken, redactToken, type VerifiedClaims } from './claims.js';

const claims = (o: Partial<VerifiedClaims> = {}): VerifiedClaims => ({ sub: 'u', aud: [AUDIENCE_WORKSPACE_TERMINAL], exp: 1, iss: 'https://cp', ...o });
const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof AuthError ? `${e.reason}/${e.status}` : `other:${String(e)}`;
  }
  return 'ok';
};

describe('bearerToken', () => {
  it('returns the token when the scheme is Bearer in any case', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('BEARER   abc.def-_~+/=')).toBe('abc.def-_~+/=');
    expect(bearerToken(['Bearer x.y.z'])).toBe('x.y.z');
  });

  it('refuses with token_missing or token_malformed when the header is absent, empty, another scheme, doubled or not a b64token', () => {
    expect(reasonOf(() => bearerToken(undefined))).toBe('token_missing/401');
    expect(reasonOf(() => bearerToken(''))).toBe('token_missing/401');
    expect(reasonOf(() => bearerToken('Bearer '))).toBe('token_missing/401');
    expect(reasonOf(() => bearerToken([]))).toBe('token_missing/401');
    expect(reasonOf(() => bearerToken('Basic dXNlcjpwYXNz'))).toBe('token_malformed/401');
    expect(reasonOf(() => bearerToken('Bearer a b'))).toBe('token_malformed/401');
    expect(reasonOf(() => bearerToken('Bearer a"b'))).toBe('token_malformed/401');
    expect(reasonOf(() => bearerToken(['Bearer a', 'Bearer b']))).toBe('token_malformed/401');
    expect(reasonOf(() => bearerToken(`Bearer ${'a'.repeat(9000)}`))).toBe('token_malformed/401');
  });

  it('keeps the header value out of the error when it refuses', () => {
    try {
      bearerToken('Basic c2VjcmV0LXZhbHVl');
    } catch (e) {
      expect(JSON.stringify({ m: (e as Error).message, d: (e as AuthError).details })).not.toContain('c2VjcmV0LXZhbHVl');
    }
  });
});

describe('authorize', () => {
  it('lets a workspace-terminal token through only to its own workspace', () => {
    expect(reasonOf(() => authorize(claims({ workspace: 'a' }), { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'a' }))).toBe('ok');
    expect(reasonOf(() => authorize(claims({ workspace: 'a' }), { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'b' }))).toBe('workspace_mismatch/403');
    expect(reasonOf(() => authorize(claims(), { audience: AUDIENCE_WORKSPACE_TERMINAL, workspaceId: 'a' }))).toBe('claim_missing/403');
  });

  it('lets a node-management token through only on its own node, and to a workspace route only when a workspace claim matches', () => {
    const route = { audience: AUDIENCE_NODE_MANAGEMENT, nodeId: 'n1' };
    expect(reasonOf(() => authorize(claims({ node: 'n1' }), route))).toBe('ok');
    expect(reasonOf(() => authorize(claims({ node: 'n2' }), route))).toBe('node_mismatch/403');
    expect(reasonOf(() => authorize(claims(), route))).toBe('claim_missing/403');
    expect(reasonOf(() => authorize(claims({ node: 'n1' }), { ...route, workspaceId: 'w' }))).toBe('ok');
    expect(reasonOf(() => authorize(claims({ node: 'n1', workspace: 'v' }), { ...route, workspaceId: 'w' }))).toBe('workspace_mismatch/403');
    expect(reasonOf(() => authorize(claims({ node: 'n1' }), { audience: AUDIENCE_NODE_MANAGEMENT }))).toMatch(/^other:TypeError/);
  });
});

describe('redactToken', () => {
  it('gives a stable fingerprint that holds no part of the token', () => {
    const t = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';
    expect(redactToken(t)).toBe(redactToken(t));
    expect(redactToken(t)).not.toBe(redactToken(`${t}x`));
    for (const part of t.split('.')) expect(redactToken(t)).not.toContain(part);
  });
});

describe('AuthError', () => {
  it('answers a WWW-Authenticate value per RFC 6750 when it is a 401 or 403, none when it is a 503', () => {
    expect(new AuthError('token_missing', 'x').wwwAuthenticate()).toBe('Bearer realm="bosun"');
    expect(new AuthError('token_expired', 'x').wwwAuthenticate()).toContain('error="invalid_token"');
    expect(new AuthError('workspace_mismatch', 'x').wwwAuthenticate()).toContain('error="insufficient_scope"');
    expect(new AuthError('jwks_unavailable', 'x').wwwAuthenticate()).toBeUndefined();
    expect(new AuthError('jwks_unavailable', 'x').toWire(1)).toMatchObject({ code: 'auth_unavailable', details: { reason: 'jwks_unavailable' } });
  });
});
