import { mkdtempSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtVerifier } from '@bosun/auth';
import { silentLogger } from '@bosun/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubServer } from '../hub-server.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

async function startHub(dataDir = mkdtempSync(join(tmpdir(), 'bosun-hub-tokens-'))) {
  const hub = await createHubServer({ dataDir, logger: silentLogger });
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  open.push({ close: () => hub.app.close() });
  return { hub, dataDir, url: `http://127.0.0.1:${(hub.app.server.address() as { port: number }).port}` };
}

describe('tokensApi', () => {
  it('publishes public keys only at /.well-known/jwks.json, without a token, and keeps the private key 0600', async () => {
    const { hub, dataDir } = await startHub();
    const res = await hub.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    const { keys } = res.json() as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k['kid']).toEqual(expect.any(String));
      expect(k).not.toHaveProperty('d');
    }
    const files = readdirSync(join(dataDir, 'keys'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(statSync(join(dataDir, 'keys', f)).mode & 0o777).toBe(0o600);
  });

  it('mints only for the admin token, and refuses a body that breaks the claims contract with the field path', async () => {
    const { hub } = await startHub();
    const post = (body: unknown, token = hub.adminToken) =>
      hub.app.inject({ method: 'POST', url: '/api/tokens', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    expect((await post({ sub: 'u', audience: 'workspace-terminal', workspace: 'w' }, 'not-the-admin')).statusCode).toBe(401);
    const missing = await post({ sub: 'u', audience: 'workspace-terminal' });
    expect(missing.statusCode).toBe(400);
    expect(JSON.stringify(missing.json())).toContain('workspace');
    expect((await post({ sub: 'u', audience: 'node-management' })).statusCode).toBe(400);
    expect((await post({ sub: 'u', audience: 'admin', workspace: 'w' })).statusCode).toBe(400);
    expect((await post({ sub: 'u', audience: 'workspace-terminal', workspace: 'w', ttlSec: 90_000 })).statusCode).toBe(400);
  });

  it('mints a token a node agent\'s verifier accepts for its workspace and refuses for another, after a hub restart too', async () => {
    const first = await startHub();
    const mint = async (hub: typeof first.hub) =>
      (
        (
          await hub.app.inject({
            method: 'POST',
            url: '/api/tokens',
            headers: { authorization: `Bearer ${hub.adminToken}`, 'content-type': 'application/json' },
            payload: JSON.stringify({ sub: 'user-7', audience: 'workspace-terminal', workspace: 'ws-a', ttlSec: 60 }),
          })
        ).json() as { token: string }
      ).token;
    const token = await mint(first.hub);
    const verifier = new JwtVerifier({ controlPlaneUrl: first.url });
    open.push({ close: () => verifier.close() });
    expect(await verifier.verify(token, { audience: 'workspace-terminal', workspaceId: 'ws-a' })).toMatchObject({ sub: 'user-7', workspace: 'ws-a' });
    await expect(verifier.verify(token, { audience: 'workspace-terminal', workspaceId: 'ws-b' })).rejects.toMatchObject({ reason: 'workspace_mismatch' });
    // The keys live in HUB_DATA_DIR: a restarted hub signs with the same key.
    await first.hub.app.close();
    const second = await startHub(first.dataDir);
    const again = await mint(second.hub);
    const verifier2 = new JwtVerifier({ controlPlaneUrl: second.url });
    open.push({ close: () => verifier2.close() });
    expect(await verifier2.verify(again, { audience: 'workspace-terminal', workspaceId: 'ws-a' })).toMatchObject({ sub: 'user-7' });
    expect(JSON.parse(Buffer.from(again.split('.')[0] ?? '', 'base64url').toString()).kid).toBe(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).kid);
  });
});
