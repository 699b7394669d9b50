import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CapabilityProbe } from './capability-probe.js';
import { fakeClock, fakeHost, fakeRunner, fakeSi, recordingLogger, result, settledFlag, turn } from './fakes.test-util.js';
import type { CapabilityProbeOptions } from './options.js';

describe('CapabilityProbe', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'bosun-probe-'));
    for (const name of ['node', 'git', 'podman']) {
      await writeFile(join(bin, name), '#!/bin/sh\n');
      await chmod(join(bin, name), 0o755);
    }
  });
  afterAll(() => rm(bin, { recursive: true, force: true }));

  const answers = {
    node: result({ stdout: 'v20.20.2\n' }),
    git: result({ stdout: 'git version 2.39.5\n' }),
    podman: result({ stdout: 'podman version 4.3.1\n' }),
  };

  function make(overrides: Partial<CapabilityProbeOptions> = {}) {
    const run = fakeRunner(answers);
    const clock = fakeClock();
    const host = fakeHost();
    const logger = recordingLogger();
    const probe = new CapabilityProbe({
      name: 'worker-1',
      agentVersion: '0.1.0',
      mode: 'byom',
      env: { PATH: bin },
      containersRunning: async () => 2,
      engineSockets: [],
      tools: [
        { name: 'node', kind: 'runtime' },
        { name: 'python3', kind: 'runtime' },
        { name: 'git', kind: 'tool' },
        { name: 'podman', kind: 'tool' },
      ],
      run,
      clock,
      host,
      si: fakeSi(),
      logger,
      ...overrides,
    });
    return { probe, run, clock, host, logger };
  }

  it('builds the register payload with exactly the wire field names when probes answer', async () => {
    const { probe } = make();
    const payload = await probe.registerPayload();
    expect(payload).toEqual({
      name: 'worker-1',
      hostname: 'fake-host',
      platform: 'linux',
      cpuCount: 4,
      memoryTotal: 16 * 1024 ** 3,
      containerEngines: [{ name: 'podman', version: '4.3.1' }],
      agentVersion: '0.1.0',
      mode: 'byom',
      capabilities: {
        runtimes: [{ name: 'node', version: '20.20.2', path: join(bin, 'node') }],
        tools: [
          { name: 'git', version: '2.39.5', path: join(bin, 'git') },
          { name: 'podman', version: '4.3.1', path: join(bin, 'podman') },
        ],
        gpus: [],
      },
    });
    expect(Object.keys(payload.capabilities.runtimes[0] ?? {}).sort()).toEqual(['name', 'path', 'version']);
  });

  it('falls back to node:os facts when systeminformation fails or hangs past the deadline', async () => {
    let memAsked = false;
    const { probe, logger, clock } = make({
      si: fakeSi({
        cpu: () => Promise.reject(new Error('x')),
        mem: () => ((memAsked = true), new Promise(() => undefined)),
      }),
      probeTimeoutMs: 50,
    });
    const registering = probe.registerPayload();
    await vi.waitFor(() => expect(memAsked).toBe(true));
    clock.advance(50);
    const payload = await registering;
    expect(payload.cpuCount).toBe(2);
    expect(payload.memoryTotal).toBe(8 * 1024 ** 3);
    expect(logger.lines.filter((l) => l.level === 'warn').length).toBe(2);
  });

  it('answers from the cache without re-running probes when the cache is fresh', async () => {
    const { probe, run, clock } = make();
    await probe.registerPayload();
    const calls = run.calls.length;
    clock.advance(60_000);
    await probe.registerPayload();
    expect(run.calls.length).toBe(calls);
  });

  it('returns the stale snapshot at once and refreshes in the background when the cache is older than the interval', async () => {
    const { probe, run, clock } = make({ refreshIntervalMs: 1000 });
    const first = await probe.capabilities();
    const calls = run.calls.length;
    clock.advance(1000);
    const second = await probe.capabilities();
    expect(second).toBe(first);
    await probe.close();
    expect(run.calls.length).toBe(calls * 2);
    expect(probe.snapshot).not.toBe(first);
    expect(probe.snapshot?.takenAt).toBe(clock.now());
  });

  it('shares one run when refresh is called concurrently', async () => {
    const { probe, run } = make();
    const [a, b] = await Promise.all([probe.refresh(), probe.refresh()]);
    expect(a).toBe(b);
    expect(run.calls.length).toBe(3);
  });

  it('refreshes on start and on every timer tick until closed', async () => {
    const { probe, run, clock } = make();
    probe.start();
    probe.start(); // idempotent: one timer, one initial run
    await probe.refresh(); // joins the run start() began
    expect(run.calls.length).toBe(3);
    expect(clock.timers.size).toBe(1);
    for (const tick of clock.timers) tick();
    await probe.refresh();
    expect(run.calls.length).toBe(6);
    await probe.close();
    expect(clock.timers.size).toBe(0);
  });

  it('answers a heartbeat before a slow refresh in flight finishes', async () => {
    const { probe } = make({ run: fakeRunner({ node: 'hang', git: 'hang', podman: 'hang' }), probeTimeoutMs: 5000 });
    const refreshing = probe.refresh().then(() => 'refresh' as const);
    // Behaviour, not speed: the heartbeat settles while the refresh is still hung on its 5 s probes.
    const first = await Promise.race([probe.heartbeat().then((hb) => hb), refreshing]);
    expect(first).not.toBe('refresh');
    expect((first as { containersRunning: number }).containersRunning).toBe(2);
  });

  it('builds the heartbeat with disk and gateway fields when a data dir and gateway callback are given', async () => {
    const { probe, host } = make({
      dataDir: '/data',
      gatewayStatus: async () => ({ status: 'degraded', detail: 'agent restarting' }),
    });
    host.times = host.times.map((t) => ({ ...t, user: t.user + 30, idle: t.idle + 70 }));
    expect(await probe.heartbeat()).toEqual({
      cpuUsage: 30,
      memoryFree: 3 * 1024 ** 3,
      diskTotal: 100e9,
      diskFree: 40e9,
      containersRunning: 2,
      gatewayStatus: 'degraded',
      gatewayStatusDetail: 'agent restarting',
    });
  });

  it('omits optional fields when no data dir or gateway callback is given', async () => {
    const { probe } = make();
    expect(Object.keys(await probe.heartbeat()).sort()).toEqual(['containersRunning', 'cpuUsage', 'memoryFree']);
  });

  it('repeats the last container count and omits disk at the deadline when callbacks hang or fail', async () => {
    let calls = 0;
    const { probe, logger, clock } = make({
      dataDir: '/data',
      host: fakeHost({ statfs: () => Promise.reject(new Error('ENOENT')) }),
      containersRunning: () => (++calls === 1 ? Promise.resolve(5) : new Promise<number>(() => undefined)),
      gatewayStatus: () => Promise.reject(new Error('down')),
      heartbeatTimeoutMs: 50,
    });
    expect((await probe.heartbeat()).containersRunning).toBe(5);
    const beating = probe.heartbeat();
    const state = settledFlag(beating);
    // The failed sources are settled; the hung callback holds the heartbeat until its deadline, no longer.
    clock.advance(49);
    await turn();
    expect(state.settled).toBe(false);
    clock.advance(1);
    const hb = await beating;
    expect(hb).toEqual({ cpuUsage: expect.any(Number), memoryFree: 3 * 1024 ** 3, containersRunning: 5 });
    expect(logger.lines.some((l) => l.msg === 'containersRunning callback failed')).toBe(true);
  });

  it('rejects bad options with a message naming the key when constructed', () => {
    const base = { name: 'w', agentVersion: '1', mode: 'byom' as const, env: {}, containersRunning: async () => 0 };
    expect(() => new CapabilityProbe({ ...base, mode: 'cloud' as never })).toThrow(/mode/);
    expect(() => new CapabilityProbe({ ...base, probeTimeoutMs: 0 })).toThrow(/probeTimeoutMs/);
    expect(() => new CapabilityProbe({ ...base, name: '' })).toThrow(/name/);
    expect(() => new CapabilityProbe({ ...base, containersRunning: undefined as never })).toThrow(/containersRunning/);
  });

  it('finds nothing and still registers when the env has no PATH', async () => {
    const { probe, run } = make({ env: {} });
    const payload = await probe.registerPayload();
    expect(payload.capabilities).toEqual({ runtimes: [], tools: [], gpus: [] });
    expect(run.calls).toEqual([]);
  });
});

describe('CapabilityProbe on this machine', () => {
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

  it('registers with node found and answers heartbeats while the real refresh runs when using the real defaults', async () => {
    const probe = new CapabilityProbe({
      name: 'real',
      agentVersion: '0.1.0',
      mode: 'fleet',
      env,
      dataDir: tmpdir(),
      containersRunning: async () => 0,
      // Generous: this machine is shared and often loaded; the default deadline is not under test here.
      probeTimeoutMs: 15_000,
    });
    const refreshing = probe.refresh();
    // The heartbeat does not wait for the (slow, real) refresh that is in flight.
    const first = await Promise.race([probe.heartbeat(), refreshing.then(() => 'refresh' as const)]);
    expect(first).not.toBe('refresh');
    const hb = first as Awaited<ReturnType<typeof probe.heartbeat>>;
    expect(hb.cpuUsage).toBeGreaterThanOrEqual(0);
    expect(hb.cpuUsage).toBeLessThanOrEqual(100);
    expect(hb.diskTotal).toBeGreaterThan(0);
    await refreshing;
    const payload = await probe.registerPayload();
    const nodeVersion = execFileSync('/bin/sh', ['-c', 'node --version'], { env }).toString().trim();
    expect(payload.capabilities.runtimes.find((r) => r.name === 'node')?.version).toBe(nodeVersion.replace(/^v/, ''));
    expect(payload.capabilities.tools.map((t) => t.name)).toContain('git');
    expect(payload.capabilities.gpus).toEqual([]);
    expect(payload.cpuCount).toBeGreaterThan(0);
    expect(payload.memoryTotal).toBeGreaterThan(0);
    await probe.close();
  });
});
