import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('returns undefined when nothing was stored yet', () => {
    expect(ByomFiles.inHome(mkdtempSync(join(tmpdir(), 'bosun-home-'))).readCredentials()).toBeUndefined();
  });
});
