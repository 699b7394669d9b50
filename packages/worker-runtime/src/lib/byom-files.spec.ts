import { chmodSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialsStore } from '@bosun/auth';
import { describe, expect, it } from 'vitest';
import { ByomFiles } from './byom-files.js';

describe('ByomFiles', () => {
  it('writes credentials 0600 in a 0700 dir and reads them back', () => {
    const home = mkdtempSync(join(tmpdir(), 'bosun-home-'));
    const files = ByomFiles.inHome(home);
    files.writeCredentials({ orchestratorUrl: 'ws://127.0.0.1:1/ws', token: 'secret' });
    expect(statSync(files.credentialsPath).mode & 0o777).toBe(0o600);
    expect(statSync(files.dir).mode & 0o777).toBe(0o700);
    expect(files.readCredentials()).toEqual({ orchestratorUrl: 'ws://127.0.0.1:1/ws', token: 'secret' });
    expect(readdirSync(files.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the CLI login fields when the worker rewrites its own', () => {
    const home = mkdtempSync(join(tmpdir(), 'bosun-home-'));
    const files = ByomFiles.inHome(home);
    CredentialsStore.inHome(home).write({ server: 'https://cp.example', accessToken: 'at' });
    expect(files.readCredentials()).toBeUndefined();
    files.writeCredentials({ orchestratorUrl: 'ws://127.0.0.1:1/ws', token: 'one', workerId: 'w1' });
    files.writeCredentials({ orchestratorUrl: 'ws://127.0.0.1:1/ws', token: 'two' });
    expect(files.readCredentials()).toEqual({ orchestratorUrl: 'ws://127.0.0.1:1/ws', token: 'two' });
    expect(CredentialsStore.inHome(home).read()).toEqual({ server: 'https://cp.example', accessToken: 'at', orchestratorUrl: 'ws://127.0.0.1:1/ws', token: 'two' });
  });

  it('refuses credentials other users can read', () => {
    const files = ByomFiles.inHome(mkdtempSync(join(tmpdir(), 'bosun-home-')));
    files.writeCredentials({ orchestratorUrl: 'ws://127.0.0.1:1/ws', token: 'secret' });
    chmodSync(files.credentialsPath, 0o644);
    expect(() => files.readCredentials()).toThrow(expect.objectContaining({ code: 'insecure_file', message: expect.stringContaining('chmod 600') }));
  });

  it('returns undefined when nothing was stored yet', () => {
    expect(ByomFiles.inHome(mkdtempSync(join(tmpdir(), 'bosun-home-'))).readCredentials()).toBeUndefined();
  });
});
