import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PtyManager } from '@bosun/pty-manager';
import { manualClock } from '@bosun/util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fileRecordStore, TerminalService, type TerminalServiceOptions } from '../index.js';
import { Collector, FakeDriver, memoryLogger, waitFor } from './helpers.test-util.js';

const dir = mkdtempSync(join(tmpdir(), 'bosun-terminal-service-'));
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dir };
const managers: PtyManager[] = [];

function manager(extra: ConstructorParameters<typeof PtyManager>[0] = {}): PtyManager {
  const m = new PtyManager({ baseEnv: ENV, idleGraceMs: 0, closeGraceMs: 500, ...extra });
  managers.push(m);
  return m;
}

function service(over: Partial<TerminalServiceOptions> = {}): { svc: TerminalService; fake: FakeDriver; m: PtyManager } {
  const fake = new FakeDriver();
  const m = over.manager ?? manager();
  return { svc: new TerminalService({ manager: m, driver: fake.driver, allowHostShell: true, ...over }), fake, m };
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown({ killTmux: true })));
});

afterAll(() => {
  try {
    execFileSync('tmux', ['-S', join(dir, 'tmux.sock'), 'kill-server'], { stdio: 'ignore' });
  } catch {
    /* no server left */
  }
  rmSync(dir, { recursive: true, force: true });
});

const A = { tenant: 'tenant-a' };
const B = { tenant: 'tenant-b' };

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}

describe('TerminalService', () => {
  it('refuses attach, input, resize, close and get of another tenant’s terminal as not_found, like a missing one, when the caller names another tenant', async () => {
    const { svc } = service();
    const t = await svc.open(A, { cmd: ['/bin/sh'] });
    const c = new Collector();
    const { handle } = svc.attach(A, t.terminalId, { onMessage: c.sink, fromOffset: 0 });
    const missing = { code: 'not_found', message: `terminal ${t.terminalId} not found` };

    expect(await codeOf(() => svc.attach(B, t.terminalId, { onMessage: () => undefined }))).toEqual(missing);
    expect(await codeOf(() => svc.input(B, t.terminalId, 'echo pwned-$((40+2))\n'))).toEqual(missing);
    expect(await codeOf(() => svc.resize(B, t.terminalId, 33, 11))).toEqual(missing);
    expect(await codeOf(svc.close(B, t.terminalId))).toEqual(missing);
    expect(await codeOf(() => svc.get(B, t.terminalId))).toEqual(missing);
    expect(svc.list(B)).toEqual([]);
    // A missing id answers the same way.
    expect(await codeOf(() => svc.input(A, 'tdoesnotexist', 'x'))).toEqual({ code: 'not_found', message: 'terminal tdoesnotexist not found' });

    // Nothing B sent reached the terminal: the owner's own input is the first thing echoed.
    handle.write('echo own-$((6*7))\n');
    await waitFor(() => c.text.includes('own-42'), 10_000, 'own output');
    expect(c.text).not.toContain('pwned-42');
    expect(svc.get(A, t.terminalId)).toMatchObject({ cols: 80, rows: 24, status: 'alive' });
  });

  it('serves input, resize, list, lossless reattach and close when the same tenant asks', async () => {
    const { svc, m } = service();
    const t = await svc.open(A, { cmd: ['/bin/sh'], cols: 100, rows: 30, name: 'main' });
    expect(t).toMatchObject({ owner: A, name: 'main', cols: 100, rows: 30, status: 'alive' });
    expect(svc.list(A).map((x) => x.terminalId)).toEqual([t.terminalId]);

    const first = new Collector();
    const a1 = svc.attach(A, t.terminalId, { onMessage: first.sink, fromOffset: 0 });
    expect(a1.start.kind).toBe('replay');
    svc.input(A, t.terminalId, new TextEncoder().encode('echo one-$((1+1))\n'));
    await waitFor(() => first.text.includes('one-2'), 10_000, 'first output');
    a1.handle.detach();
    const seen = a1.handle.offset;

    svc.input(A, t.terminalId, 'echo two-$((2+1))\n');
    await waitFor(() => m.get(t.terminalId).snapshot().data.includes('two-3'), 10_000, 'output while detached');
    const again = new Collector();
    const a2 = svc.attach(A, t.terminalId, { onMessage: again.sink, fromOffset: seen });
    expect(a2.start).toEqual({ kind: 'replay', offset: seen });
    expect(again.text).toContain('two-3');
    expect(again.text).not.toContain('one-2');

    expect(svc.resize(A, t.terminalId, 5000, 0)).toEqual({ cols: 1000, rows: 1 });
    expect(svc.alive()).toEqual([{ terminalId: t.terminalId, offset: expect.any(Number), owner: A }]);

    await svc.close(A, t.terminalId);
    await waitFor(() => again.exited, 10_000, 'exit');
    expect(svc.list(A)).toEqual([]);
    expect(await codeOf(() => svc.input(A, t.terminalId, 'x'))).toMatchObject({ code: 'not_found' });
  });

  it('renames a terminal in list and get and keeps the name in its saved record, and refuses another tenant or a bad name, when rename is called', async () => {
    const path = join(dir, 'renamed.json');
    const { svc } = service({ records: fileRecordStore(path) });
    const t = await svc.open(A, { cmd: ['/bin/cat'], name: 'first' });
    expect(await svc.rename(A, t.terminalId, 'build logs')).toMatchObject({ terminalId: t.terminalId, name: 'build logs' });
    expect(svc.list(A).map((x) => x.name)).toEqual(['build logs']);
    expect(svc.get(A, t.terminalId).name).toBe('build logs');
    expect((await fileRecordStore(path).load())[0]).toMatchObject({ terminalId: t.terminalId, name: 'build logs' });
    expect(await codeOf(svc.rename(B, t.terminalId, 'stolen'))).toMatchObject({ code: 'not_found' });
    expect(await codeOf(svc.rename(A, t.terminalId, ''))).toMatchObject({ code: 'invalid_argument' });
    expect(await codeOf(svc.rename(A, t.terminalId, 'x'.repeat(129)))).toMatchObject({ code: 'invalid_argument' });
    expect(svc.get(A, t.terminalId).name).toBe('build logs');
  });

  it('starts a viewer at the live end when no offset is given, and refuses input from a read-only viewer', async () => {
    const { svc } = service();
    const t = await svc.open(A, { cmd: ['/bin/sh', '-c', 'echo early-$((3*3)); exec cat'] });
    const probe = new Collector();
    svc.attach(A, t.terminalId, { onMessage: probe.sink, fromOffset: 0 });
    await waitFor(() => probe.text.includes('early-9'), 10_000, 'early output');
    const late = new Collector();
    const { handle } = svc.attach(A, t.terminalId, { onMessage: late.sink, readOnly: true });
    expect(late.text).toBe('');
    expect(await codeOf(() => handle.write('x'))).toMatchObject({ code: 'forbidden' });
    expect(await codeOf(() => handle.resize(10, 10))).toMatchObject({ code: 'forbidden' });
  });

  it('scopes a terminal to its workspace and user when the owner names them', async () => {
    const { svc } = service();
    const scoped = await svc.open({ tenant: 'tenant-a', workspace: 'w1', user: 'u1' }, { cmd: ['/bin/cat'] });
    const wide = await svc.open({ tenant: 'tenant-a' }, { cmd: ['/bin/cat'] });
    expect(await codeOf(() => svc.get({ tenant: 'tenant-a', workspace: 'w2', user: 'u1' }, scoped.terminalId))).toMatchObject({ code: 'not_found' });
    expect(await codeOf(() => svc.get({ tenant: 'tenant-a', workspace: 'w1' }, scoped.terminalId))).toMatchObject({ code: 'not_found' });
    expect(await codeOf(() => svc.get({ tenant: 'tenant-a' }, scoped.terminalId))).toMatchObject({ code: 'not_found' });
    expect(svc.get({ tenant: 'tenant-a', workspace: 'w1', user: 'u1' }, scoped.terminalId).terminalId).toBe(scoped.terminalId);
    expect(svc.list({ tenant: 'tenant-a', workspace: 'w9' }).map((x) => x.terminalId)).toEqual([wide.terminalId]);
    expect(await codeOf(() => svc.list({ tenant: '../etc' }))).toMatchObject({ code: 'invalid_argument' });
  });

  it('refuses a host shell and spawns nothing when host shells are not allowed', async () => {
    const { svc, m } = service({ allowHostShell: undefined });
    expect(await codeOf(svc.open(A, { cmd: ['/bin/sh'] }))).toMatchObject({ code: 'forbidden' });
    expect(m.list()).toEqual([]);
  });

  it('refuses a container of another tenant or workspace as not_found and spawns nothing', async () => {
    const { svc, fake, m } = service();
    fake.add('tenant-b', 'cb', 'w1');
    expect(await codeOf(svc.open(A, { containerId: 'cb' }))).toMatchObject({ code: 'not_found' });
    fake.add('tenant-a', 'ca', 'w1');
    expect(await codeOf(svc.open({ tenant: 'tenant-a', workspace: 'w2' }, { containerId: 'ca' }))).toMatchObject({ code: 'not_found' });
    expect(fake.ttys).toEqual([]);
    expect(m.list()).toEqual([]);
  });

  it('marks a container terminal with its id, run and agent, over any forged marker, when it is opened', async () => {
    const { svc, fake } = service({ runId: 'run-1', agentId: 'agent-x' });
    fake.add('tenant-a', 'ca');
    const t = await svc.open(A, { containerId: 'ca', cmd: ['/bin/sh'], env: { BOSUN_RUN: 'forged', BOSUN_TERMINAL: 'tother', FOO: 'bar' } });
    expect(fake.ttys[0]?.spec.env).toEqual({ TERM: 'xterm-256color', FOO: 'bar', BOSUN_TERMINAL: t.terminalId, BOSUN_RUN: 'run-1', BOSUN_AGENT: 'agent-x' });
    // The echo TTY stands for the container's program.
    const c = new Collector();
    svc.attach(A, t.terminalId, { onMessage: c.sink });
    svc.input(A, t.terminalId, 'ping');
    await waitFor(() => c.text.includes('ping'), 5000, 'echo');
    expect(svc.alive()).toEqual([{ terminalId: t.terminalId, offset: 4, containerId: 'ca', owner: A }]);
  });

  it('signals the terminal’s processes in its container by marker when a container terminal is closed', async () => {
    const { svc, fake } = service();
    fake.add('tenant-a', 'ca');
    const t = await svc.open(A, { containerId: 'ca' });
    const c = new Collector();
    svc.attach(A, t.terminalId, { onMessage: c.sink });
    await svc.close(A, t.terminalId, { signal: 'SIGTERM' });
    const sweeps = fake.execs.map((e) => e.spec.cmd.slice(4));
    // First the requested signal to the terminal's processes, then SIGKILL to what outlived the shell.
    expect(sweeps).toEqual([
      ['terminals', '-', '-', t.terminalId, 'TERM'],
      ['terminals', '-', '-', t.terminalId, 'KILL'],
    ]);
    expect(fake.execs.every((e) => e.ref.tenant === 'tenant-a' && e.ref.id === 'ca')).toBe(true);
    expect(c.exited).toBe(true);
    expect(await codeOf(svc.close(A, t.terminalId, { signal: 'SIGNOPE; rm -rf /' as NodeJS.Signals }))).toMatchObject({ code: 'invalid_argument' });
  });

  it('ends a container terminal’s leftover processes by marker when the manager reaps it for idleness', async () => {
    const clock = manualClock(0);
    const { svc, fake } = service({ manager: manager({ idleGraceMs: 60_000, clock }) });
    fake.add('tenant-a', 'ca');
    const t = await svc.open(A, { containerId: 'ca' });
    clock.advance(60_000);
    await waitFor(() => fake.execs.some((e) => e.spec.cmd.at(-1) === 'KILL'), 5000, 'leftover sweep');
    expect(fake.execs.map((e) => e.spec.cmd.slice(4))).toEqual([
      ['terminals', '-', '-', t.terminalId, 'HUP'],
      ['terminals', '-', '-', t.terminalId, 'KILL'],
    ]);
    await waitFor(() => svc.list(A).length === 0, 5000, 'reaped terminal forgotten');
  });

  it('keeps the owner from its saved record, not the session name, when the service is re-created over a tmux manager', async () => {
    const socketPath = join(dir, 'tmux.sock');
    const recordsPath = join(dir, 'state', 'terminals.json');
    const m1 = manager({ tmux: { socketPath } });
    const s1 = new TerminalService({ manager: m1, driver: new FakeDriver().driver, allowHostShell: true, records: fileRecordStore(recordsPath) });
    const t = await s1.open(A, { cmd: ['/bin/sh'], name: '{"t":"tenant-b","c":null,"n":null}' });
    const c1 = new Collector();
    s1.attach(A, t.terminalId, { onMessage: c1.sink, fromOffset: 0 });
    s1.input(A, t.terminalId, 'echo before-$((5*5))\n');
    await waitFor(() => c1.text.includes('before-25'), 10_000, 'output before restart');
    expect(statSync(recordsPath).mode & 0o777).toBe(0o600);
    await m1.shutdown();

    // A tmux session the service never recorded (e.g. planted on the socket) has no owner.
    const m0 = manager({ tmux: { socketPath } });
    const planted = await m0.create({ command: '/bin/sh', name: JSON.stringify({ t: 'tenant-a' }) });
    await m0.shutdown();

    const m2 = manager({ tmux: { socketPath } });
    const log = memoryLogger();
    const s2 = new TerminalService({ manager: m2, driver: new FakeDriver('process').driver, allowHostShell: true, records: fileRecordStore(recordsPath), logger: log });
    const report = await s2.reconcile();
    expect(report.adopted).toEqual([t.terminalId]);
    expect(report.closedUnowned).toEqual([planted.id]);
    expect(m2.list().map((x) => x.id)).toEqual([t.terminalId]);
    expect(log.lines.some((l) => l.level === 'warn' && /nobody owns/.test(l.msg ?? ''))).toBe(true);

    // The name claims tenant-b; the record says tenant-a.
    expect(await codeOf(() => s2.get(B, t.terminalId))).toMatchObject({ code: 'not_found' });
    expect(s2.list(B)).toEqual([]);
    const c2 = new Collector();
    s2.attach(A, t.terminalId, { onMessage: c2.sink, fromOffset: 0 });
    s2.input(A, t.terminalId, 'echo after-$((6*6))\n');
    await waitFor(() => c2.text.includes('after-36'), 10_000, 'output after restart');
    expect(s2.alive().map((x) => x.owner)).toEqual([A]);
    await s2.close(A, t.terminalId);
    expect(JSON.parse(readFileSync(recordsPath, 'utf8'))).toEqual({ version: 1, terminals: [] });
  });

  it('sweeps every running container for an earlier run’s processes, keeping adopted terminals, when reconcile runs', async () => {
    const log = memoryLogger();
    const { svc, fake } = service({ runId: 'run-2', agentId: 'agent-x', logger: log });
    fake.add('tenant-a', 'ca');
    fake.add('tenant-b', 'cb');
    fake.add('tenant-b', 'cstopped', 'w1', 'exited');
    fake.add('tenant-b', 'cbroken');
    fake.onExec = async (ref) => {
      if (ref.id === 'cbroken') return { exitCode: 127, stdout: '' };
      return { exitCode: 0, stdout: ref.id === 'ca' ? 'ended 41 tdead\nended 42 -\nnoise\n' : '' };
    };
    const report = await svc.reconcile();
    expect(fake.execs.map((e) => e.ref.id).sort()).toEqual(['ca', 'cb', 'cbroken']);
    for (const e of fake.execs) {
      expect(e.spec.cmd.slice(0, 2)).toEqual(['/bin/sh', '-c']);
      expect(e.spec.cmd.slice(4)).toEqual(['orphans', 'agent-x', 'run-2', '', 'KILL']);
      expect(e.spec.env).toMatchObject({ BOSUN_RUN: 'run-2', BOSUN_AGENT: 'agent-x' });
    }
    expect(report.ended).toEqual([{ tenant: 'tenant-a', containerId: 'ca', processes: [{ pid: 41, terminalId: 'tdead' }, { pid: 42 }] }]);
    expect(report.failed).toEqual([{ tenant: 'tenant-b', containerId: 'cbroken', code: 'internal', message: expect.stringContaining('127') }]);
    expect(log.lines.find((l) => l.level === 'info' && /earlier run/.test(l.msg ?? ''))?.obj).toMatchObject({ containerId: 'ca', pids: [41, 42], terminals: ['tdead'] });
  });

  it('gives up on a driver call at its deadline and reports it when the engine stops answering during reconcile', async () => {
    const clock = manualClock(1000);
    const { svc, fake } = service({ clock, driverTimeoutMs: 5000 });
    let asked = false;
    fake.listAllImpl = () => {
      asked = true;
      return new Promise(() => undefined);
    };
    const done = svc.reconcile();
    await waitFor(() => asked, 5000, 'listAll call');
    clock.advance(5000);
    const report = await done;
    expect(report.failed).toEqual([{ tenant: '*', containerId: '*', code: 'timeout', message: expect.stringContaining('container.listAll') }]);
  });
});

describe('fileRecordStore', () => {
  it('skips malformed and forged entries when the file was edited', async () => {
    const path = join(dir, 'edited.json');
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        terminals: [
          { terminalId: 'tok', runId: 'r1', owner: { tenant: 'tenant-a' }, createdAt: 5 },
          { terminalId: 'tbad', runId: 'r1', owner: { tenant: '' } },
          { terminalId: '../x', runId: 'r1', owner: { tenant: 'tenant-a' } },
          'junk',
        ],
      }),
    );
    expect(await fileRecordStore(path).load()).toEqual([{ terminalId: 'tok', runId: 'r1', owner: { tenant: 'tenant-a' }, createdAt: 5 }]);
    writeFileSync(path, '{not json');
    expect(await fileRecordStore(path).load()).toEqual([]);
    expect(await fileRecordStore(join(dir, 'absent.json')).load()).toEqual([]);
  });
});
