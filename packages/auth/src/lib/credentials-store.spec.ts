import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CredentialsStore } from './credentials-store.js';

const home = () => mkdtempSync(join(tmpdir(), 'bosun-home-'));

describe('CredentialsStore', () => {
  it('writes 0600 in a 0700 directory, atomically, and reads the same back', () => {
    const store = CredentialsStore.inHome(home());
    const c = { server: 'https://cp.example', accessToken: 'at', refreshToken: 'rt', expiresAt: '2030-01-01T00:00:00.000Z', scopes: ['a', 'b'] };
    store.write(c);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(store.path, '..')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(store.path, '..'))).toEqual(['credentials.json']);
    expect(store.read()).toEqual(c);
  });

  it('returns undefined when there is no file', () => {
    expect(CredentialsStore.inHome(home()).read()).toBeUndefined();
  });

  it('refuses a file other users can read or write, naming the file and the fix', () => {
    const store = CredentialsStore.inHome(home());
    store.write({ token: 'secret' });
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      chmodSync(store.path, mode);
      expect(() => store.read(), mode.toString(8)).toThrow(
        expect.objectContaining({ code: 'insecure_file', message: expect.stringContaining(`chmod 600 ${store.path}`), details: expect.objectContaining({ path: store.path }) }),
      );
    }
    chmodSync(store.path, 0o400);
    expect(store.read()).toEqual({ token: 'secret' });
  });

  it('refuses a symbolic link in place of the file, for reading and for writing', () => {
    const h = home();
    const target = join(h, 'elsewhere.json');
    writeFileSync(target, '{"token":"planted"}', { mode: 0o600 });
    const store = CredentialsStore.inHome(h);
    mkdirSync(join(h, '.bosun'), { mode: 0o700 });
    symlinkSync(target, store.path);
    expect(() => store.read()).toThrow(expect.objectContaining({ code: 'insecure_file', message: expect.stringContaining('symbolic link') }));
    expect(() => store.write({ token: 'mine' })).toThrow(expect.objectContaining({ code: 'forbidden_path' }));
  });

  it('refuses a file in a directory others may write to', () => {
    const store = CredentialsStore.inHome(home());
    store.write({ token: 'secret' });
    chmodSync(join(store.path, '..'), 0o777);
    expect(() => store.read()).toThrow(expect.objectContaining({ code: 'insecure_file', message: expect.stringContaining('chmod 700') }));
  });

  it('throws invalid_field naming the field when a known field has the wrong type', () => {
    const store = CredentialsStore.inHome(home());
    mkdirSync(join(store.path, '..'), { mode: 0o700 });
    writeFileSync(store.path, JSON.stringify({ token: 42 }), { mode: 0o600 });
    expect(() => store.read()).toThrow(expect.objectContaining({ code: 'invalid_field', details: expect.objectContaining({ path: ['token'] }) }));
    writeFileSync(store.path, '{not json', { mode: 0o600 });
    expect(() => store.read()).toThrow(expect.objectContaining({ code: 'invalid_json' }));
  });

  it('keeps the other writer\u2019s fields when two updates run at once', async () => {
    const store = CredentialsStore.inHome(home());
    store.write({ extra: 'kept' } as never);
    await Promise.all([
      store.update((c) => ({ ...c, orchestratorUrl: 'ws://127.0.0.1:1/ws', token: 't' })),
      store.update((c) => ({ ...c, accessToken: 'at' })),
    ]);
    expect(store.read()).toEqual({ extra: 'kept', orchestratorUrl: 'ws://127.0.0.1:1/ws', token: 't', accessToken: 'at' });
  });
});
