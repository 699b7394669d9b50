import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkerTokenStore } from './token-store.js';

const freshPath = () => join(mkdtempSync(join(tmpdir(), 'bosun-hub-')), 'workers.json');

describe('WorkerTokenStore', () => {
  it('verifies the token it issued and stores only its hash, 0600', async () => {
    const path = freshPath();
    const store = new WorkerTokenStore(path);
    const { workerId, token } = await store.issue('w1');
    expect(store.verify(token)?.workerId).toBe(workerId);
    const onDisk = readFileSync(path, 'utf8');
    expect(onDisk).not.toContain(token.slice('bwt_'.length + 13)); // the secret (it may itself hold '_')
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong, malformed or empty token', async () => {
    const store = new WorkerTokenStore(freshPath());
    const { token } = await store.issue('w1');
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(store.verify(wrong)).toBeUndefined();
    expect(store.verify('bwt_nope')).toBeUndefined();
    expect(store.verify('')).toBeUndefined();
    expect(store.verify(undefined)).toBeUndefined();
  });

  it('keeps workers and tokens across a restart (a new store on the same file)', async () => {
    const path = freshPath();
    const { token, workerId } = await new WorkerTokenStore(path).issue('w1');
    expect(new WorkerTokenStore(path).verify(token)?.workerId).toBe(workerId);
  });

  it('refuses a revoked token', async () => {
    const store = new WorkerTokenStore(freshPath());
    const { token, workerId } = await store.issue('w1');
    expect(await store.revoke(workerId)).toBe(true);
    expect(store.verify(token)).toBeUndefined();
  });
});
