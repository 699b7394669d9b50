import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeEngine,
  formatLogLine,
  readIdentity,
  resolveIdentity,
  saveIdentity,
  type HubWorkers,
  type QuickStartIdentity,
} from './quick-start.js';
import { findLiveEngine } from './engine.js';

const dir = () => mkdtempSync(join(tmpdir(), 'bosun-qs-unit-'));
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A hub with a worker list, recording what the quick start asks of it. */
function fakeHub(workers: { workerId: string; name: string; online: boolean }[]) {
  const calls: string[] = [];
  const hub: HubWorkers = {
    list: async () => workers.map((w) => ({ ...w })),
    issue: async (name) => {
      calls.push(`issue ${name}`);
      return { workerId: 'newid000000', token: 'bwt_newid000000_secret' };
    },
    revoke: async (id) => void calls.push(`revoke ${id}`),
  };
  return { hub, calls };
}

const stored: QuickStartIdentity = { workerId: 'keepme00000', token: 'bwt_keepme00000_s3cret' };

describe('quick start identity', () => {
  it('reuses the stored identity and revokes only offline workers of the same name when the hub still knows it', async () => {
    const { hub, calls } = fakeHub([
      { workerId: 'keepme00000', name: 'local', online: false },
      { workerId: 'stale000001', name: 'local', online: false },
      { workerId: 'busy0000001', name: 'local', online: true },
      { workerId: 'gpu00000001', name: 'gpu-box', online: false },
    ]);
    const r = await resolveIdentity(hub, stored, 'local');
    expect(r).toEqual({ identity: stored, reused: true, revoked: ['stale000001'] });
    expect(calls).toEqual(['revoke stale000001']);
  });

  it('issues a new identity when the hub forgot the stored one or none is stored', async () => {
    for (const s of [stored, undefined]) {
      const { hub, calls } = fakeHub([{ workerId: 'other000001', name: 'local', online: false }]);
      const r = await resolveIdentity(hub, s, 'local');
      expect(r.reused).toBe(false);
      expect(r.identity.workerId).toBe('newid000000');
      expect(calls).toEqual(['issue local', 'revoke other000001']);
    }
  });

  it('round-trips the identity in a 0600 file when saved', () => {
    const path = join(dir(), 'worker-identity.json');
    saveIdentity(path, stored);
    expect(readIdentity(path)).toEqual(stored);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('reads no identity when the file is missing, not JSON, or its token is not for its id', () => {
    const d = dir();
    expect(readIdentity(join(d, 'missing.json'))).toBeUndefined();
    writeFileSync(join(d, 'bad.json'), '{nope');
    expect(readIdentity(join(d, 'bad.json'))).toBeUndefined();
    writeFileSync(join(d, 'mismatch.json'), JSON.stringify({ workerId: 'keepme00000', token: 'bwt_someoneelse_x' }));
    expect(readIdentity(join(d, 'mismatch.json'))).toBeUndefined();
    writeFileSync(join(d, 'traversal.json'), JSON.stringify({ workerId: '../x', token: 'bwt_../x_y' }));
    expect(readIdentity(join(d, 'traversal.json'))).toBeUndefined();
  });

  it('replaces a symlink planted at the identity path instead of writing through it', () => {
    const d = dir();
    const victim = join(d, 'victim.txt');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, join(d, 'worker-identity.json'));
    saveIdentity(join(d, 'worker-identity.json'), stored);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(readIdentity(join(d, 'worker-identity.json'))).toEqual(stored);
  });
});

describe('describeEngine', () => {
  it('names the process driver and the reason loudly when there is no engine', () => {
    const text = describeEngine({ kind: 'none', reason: 'no engine answered' }).join('\n');
    expect(text).toMatch(/engine: NONE — no engine answered/);
    expect(text).toMatch(/PROCESS DRIVER/);
    expect(text).toMatch(/weaker isolation/);
  });

  it('says whether the quick start started the engine (and will stop it) when there is one', () => {
    expect(describeEngine({ kind: 'engine', name: 'podman', version: '4.3.1', dockerHost: 'unix:///s', started: true })[0]).toMatch(
      /Podman 4\.3\.1 at unix:\/\/\/s \(started by this quick start, stopped when it stops\)/,
    );
    expect(describeEngine({ kind: 'engine', name: 'docker', version: '27', dockerHost: 'unix:///d', started: false })[0]).toMatch(/Docker 27 .*left running/);
  });
});

describe('formatLogLine', () => {
  it('turns a pino line into a line for people when the child logs JSON', () => {
    const line = JSON.stringify({ level: 30, time: 1, pid: 2, hostname: 'h', name: 'bosun-worker', driver: 'process', reason: 'no engine: x', msg: 'container driver ready' });
    expect(formatLogLine('worker', line)).toBe('[worker] container driver ready (driver=process, reason="no engine: x")');
    expect(formatLogLine('hub', JSON.stringify({ level: 40, msg: 'refused', n: 3 }))).toBe('[hub] warning: refused (n=3)');
  });

  it('passes other text through and cuts long values when a line is not pino JSON or is huge', () => {
    expect(formatLogLine('hub', 'plain {text')).toBe('[hub] plain {text');
    expect(formatLogLine('hub', '42')).toBe('[hub] 42');
    const long = formatLogLine('w', JSON.stringify({ level: 30, msg: 'm', big: 'x'.repeat(1000) }));
    expect(long.length).toBeLessThan(260);
  });
});

describe('findLiveEngine', () => {
  async function listening(): Promise<string> {
    const path = join(dir(), 'engine.sock');
    const s = createServer((c) => c.on('error', () => undefined));
    servers.push(s);
    await new Promise<void>((r) => s.listen(path, r));
    return path;
  }

  it('waits with longer deadlines for a slow engine instead of calling it absent when it accepts connections', async () => {
    const socket = await listening();
    const asked: number[] = [];
    const ping = async (_s: string, ms: number) => (asked.push(ms), asked.length < 3 ? undefined : { name: 'podman', version: '4.3.1' });
    expect(await findLiveEngine([socket], ping, [1, 2, 3, 4])).toEqual({ socket, engine: { name: 'podman', version: '4.3.1' } });
    expect(asked).toEqual([1, 2, 3]);
  });

  it('reports a socket that accepts but never answers as stuck, never as free to replace', async () => {
    const socket = await listening();
    expect(await findLiveEngine([socket], async () => undefined, [1, 2])).toEqual({ stuck: socket });
  });

  it('skips a stale socket file and a missing path when nothing listens there', async () => {
    const socket = await listening();
    await new Promise((r) => servers.pop()!.close(r));
    writeFileSync(join(dir(), 'x'), '');
    const never = async () => {
      throw new Error('must not ping a dead socket');
    };
    expect(await findLiveEngine([socket, join(dir(), 'missing.sock')], never, [1])).toBeUndefined();
  });
});
