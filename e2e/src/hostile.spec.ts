/**
 * The hostile-client promises of issue 8, each proven once across the real apps: a hub
 * and workers as processes, Podman's Docker API as the engine. Each case asserts
 * something the old code failed: lossless reattach, a viewer that stops reading, a
 * 2 MiB paste, revocation, orphans after `kill -9`, a frozen engine.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelQueuedBytes, rssBytes, startHub, ViewerClient, type Hub, type ViewerControl } from './hostile.test-util.js';
import { until, type RunningApp } from './spawn-app.test-util.js';

const run = promisify(execFile);
const engine = process.env.DOCKER_HOST && !process.env.BOSUN_NO_ENGINE;
const IMAGE = 'localhost/bosun-test:busybox';
const RUN = Date.now().toString(36);
const MiB = 1024 * 1024;
/** The hub's default per-viewer bound (`maxViewerBufferedBytes`). */
const VIEWER_BUFFER_BOUND = 4 * MiB;
/** Bound on the hub's RSS growth while a viewer reads nothing; the old hub grew by about every byte that went past it. */
const HUB_RSS_BOUND = 64 * MiB;
/** Bound on the worker's RSS growth meanwhile (generous: it relays every byte, and GC lags). */
const WORKER_RSS_BOUND = 150 * MiB;
/** Output that goes past the viewer that reads nothing: twice the hub's bound. */
const FLOOD_BYTES = 2 * HUB_RSS_BOUND;

describe.skipIf(!engine)('hostile clients through hub + worker + podman', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-e2e-hostile-'));
  let hub: Hub;
  let worker: RunningApp;
  let workerId: string;
  const spawned: RunningApp[] = [];
  const containers: string[] = [];

  /** A running busybox container of `tenant`, made through `via` (default the shared worker); removed after the suite. */
  async function newContainer(tenant: string, workspaceId: string, via = workerId): Promise<string> {
    const created = await hub.command(via, { type: 'container.create', tenant, workspaceId, image: IMAGE, cmd: ['sleep', '3600'] });
    if (created.status !== 200) throw new Error(`container.create: ${created.status} ${JSON.stringify(created.body)}`);
    const containerId = created.body.containerId as string;
    containers.push(containerId);
    const started = await hub.command(via, { type: 'container.start', tenant, containerId });
    if (started.body.state !== 'running') throw new Error(`container.start: ${JSON.stringify(started.body)}`);
    return containerId;
  }

  /** Opens a terminal running `sh -c script` through the API; the script prints READY when its tty is set up. */
  async function openScript(tenant: string, containerId: string, script: string, via = workerId): Promise<string> {
    const open = await hub.command(via, { type: 'terminal.open', tenant, containerId, cmd: ['sh', '-c', script], cols: 80, rows: 24 });
    if (open.status !== 200) throw new Error(`terminal.open: ${open.status} ${JSON.stringify(open.body)}`);
    return open.body.terminalId as string;
  }

  const viewer = (tenant: string, terminal: string, offset = 0, keep = true, via = workerId) =>
    ViewerClient.connect({ port: hub.port, admin: hub.admin, worker: via, tenant, terminal, offset, keep });

  beforeAll(async () => {
    hub = await startHub(join(dir, 'hub'));
    spawned.push(hub.app);
    const issued = await hub.issue('hostile-shared');
    workerId = issued.workerId;
    worker = await hub.launchWorker({ ...issued, dataDir: join(dir, 'w-shared') });
    spawned.push(worker);
  }, 180_000);

  afterAll(async () => {
    if (containers.length) await run('podman', ['rm', '-f', '-t', '0', ...containers]).catch(() => undefined);
    for (const app of spawned) app.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  // These four run at once: they wait on timers, other processes and engine deadlines more than on the CPU.
  // The frozen engine first: its worker starts first, and its 30 s engine deadline overlaps the other starts.
  it.concurrent('answers exec and list from the worker with the engine deadline when the engine is frozen', async ({ expect }) => {
    const sock = join(tmpdir(), `bosun-e2e-frozen-${RUN}.sock`);
    // A second service on the same storage (the same CONTAINERS_CONF, inherited), so only this worker's engine freezes.
    const service: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${sock}`], { stdio: 'ignore' });
    const servicePid = service.pid;
    if (servicePid === undefined) throw new Error('podman system service did not start');
    let stopped = false;
    let w: RunningApp | undefined;
    try {
      const tenant = `fz${RUN}`;
      const issued = await hub.issue('hostile-frozen');
      // No heartbeats after the first, so nothing of this worker talks to the engine while it is frozen but the calls below.
      // Launched at once (its ping waits for the service), so its start comes first in the queue.
      const launching = hub.launchWorker({ ...issued, dataDir: join(dir, 'w-frozen'), env: { DOCKER_HOST: `unix://${sock}`, HEARTBEAT_INTERVAL_MS: '600000' } });
      await until('the second podman service', () => engineAnswers(sock, '/_ping'), 30_000);
      w = await launching;
      spawned.push(w);
      await until('its first heartbeat', async () => (await hub.worker(issued.workerId))?.heartbeat);
      const containerId = await newContainer(tenant, 'ws-frozen', issued.workerId);

      process.kill(servicePid, 'SIGSTOP');
      stopped = true;
      // The stopped service must not hold a lock the shared engine needs: the shared engine still lists every container.
      expect(await engineAnswers(socketOf(String(process.env.DOCKER_HOST)), '/containers/json?all=true', 15_000), 'the shared engine answers while the second one is stopped').toBe(true);

      const [exec, list] = await Promise.all([
        hub.command(issued.workerId, { type: 'container.exec', tenant, containerId, cmd: ['true'], timeoutMs: 3000 }),
        hub.command(issued.workerId, { type: 'container.list', tenant }),
      ]);
      for (const [what, r] of [['exec', exec], ['list', list]] as const) {
        const err = r.body.error as { code: string; message: string; details?: { timeoutMs?: number } } | undefined;
        if (!err) throw new Error(`${what} answered without an error: ${JSON.stringify(r.body)}`);
        expect(['timeout', 'engine_unavailable']).toContain(err.code);
        // The worker's answer, not the hub's own deadline (container.exec: 18 000 ms here, container.list: 60 000 ms).
        expect(err.message).not.toMatch(/after 0 ms/);
        expect(err.message).not.toMatch(/timed out after (18000|60000) ms/);
        expect([18_000, 60_000]).not.toContain(err.details?.timeoutMs);
        expect(err.message).toMatch(/engine did not answer/);
      }
    } finally {
      w?.child.kill('SIGKILL');
      if (stopped) process.kill(servicePid, 'SIGCONT');
      service.kill('SIGTERM');
      const hard = setTimeout(() => service.kill('SIGKILL'), 10_000);
      await new Promise((r) => (service.exitCode === null && service.signalCode === null ? service.once('exit', r) : r(undefined)));
      clearTimeout(hard);
      rmSync(sock, { force: true });
    }
  }, 240_000);

  it.concurrent('gives a viewer exactly the bytes after its offset on each of 100 reattaches while output flows', async ({ expect }) => {
    const tenant = `re${RUN}`;
    const containerId = await newContainer(tenant, 'ws-reattach');
    // A deterministic stream, paced (≤ ~20 000 lines/s) so that a 1 s absence stays well inside the worker's 1 MiB ring.
    const terminalId = await openScript(tenant, containerId, 'stty -echo; echo READY; read go; i=0; while :; do echo line-$i; i=$((i+1)); [ $((i % 100)) = 0 ] && usleep 5000; done');
    const seen: Buffer[] = [];
    const unexpected: ViewerControl[] = [];
    let pos = 0;
    let cycles = 0;
    for (; cycles < 100; cycles++) {
      const v = viewer(tenant, terminalId, pos);
      const attached = await v.waitControl('attached');
      expect(attached.offset).toBe(pos);
      if (cycles === 0) {
        await v.when('READY', () => v.tail.includes('READY'));
        await hub.command(workerId, { type: 'terminal.input', tenant, terminalId, data: 'go\n' });
      }
      // Leave mid-stream: after some output, at a random moment, half of the time without a close handshake.
      await v.when('output', () => v.received > 0);
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      if (cycles % 2) v.ws.terminate();
      else v.ws.close();
      await v.closed;
      seen.push(v.bytes());
      unexpected.push(...v.controls.filter((c) => c.type !== 'terminal' && c.type !== 'attached'));
      pos = v.offset;
      // The absence is the stimulus: output keeps flowing meanwhile, sometimes for about a second.
      await new Promise((r) => setTimeout(r, cycles % 10 === 9 ? 1000 : Math.random() * 100));
    }
    const last = viewer(tenant, terminalId, pos);
    expect((await last.waitControl('attached')).offset).toBe(pos);
    await last.when('output', () => last.received > 0);
    await hub.command(workerId, { type: 'terminal.input', tenant, terminalId, data: '\u0003' });
    await last.waitControl('exit');
    seen.push(last.bytes());
    unexpected.push(...last.controls.filter((c) => !['terminal', 'attached', 'exit'].includes(c.type)));
    last.ws.close();

    expect(unexpected).toEqual([]);
    const text = Buffer.concat(seen).toString('latin1');
    const lines = text.split('\r\n');
    // READY, then line-0 … line-(n-1) once each and in order; the producer was interrupted after a whole line.
    const n = lines.length - 2;
    expect(n).toBeGreaterThan(1000);
    const expected = `READY\r\n${Array.from({ length: n }, (_, i) => `line-${i}\r\n`).join('')}`;
    expect(text.length).toBe(expected.length + (lines.at(-1)?.length ?? 0));
    expect(text.slice(0, expected.length) === expected, 'the stream is READY then line-0… contiguous').toBe(true);
    expect(`line-${n}\r\n`.startsWith(lines.at(-1) ?? '')).toBe(true);
  }, 240_000);

  it.concurrent('disconnects a revoked worker with 4001, unlists it, answers not_found and refuses its redials with 401', async ({ expect }) => {
    const issued = await hub.issue('hostile-revoked');
    const revoked = await hub.launchWorker({ ...issued, dataDir: join(dir, 'w-revoked') });
    spawned.push(revoked);
    const del = await hub.api(`/api/workers/${issued.workerId}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    await revoked.waitFor(/"code":4001[^\n]*disconnected from orchestrator/, 15_000);
    expect(await hub.worker(issued.workerId)).toBeUndefined();
    const cmd = await hub.command(issued.workerId, { type: 'container.list', tenant: `rv${RUN}` });
    expect(cmd.status).toBe(404);
    expect(cmd.body.error.code).toBe('not_found');
    await revoked.waitFor(/"status":401[^\n]*orchestrator refused the worker token/, 30_000);
    expect(await hub.worker(issued.workerId)).toBeUndefined();
    revoked.child.kill('SIGKILL');
  }, 180_000);

  it.concurrent('ends the shell processes a kill -9ed worker left in its container when the worker starts again', async ({ expect }) => {
    const tenant = `or${RUN}`;
    const issued = await hub.issue('hostile-orphans');
    const dataDir = join(dir, 'w-orphans');
    let w = await hub.launchWorker({ ...issued, dataDir });
    spawned.push(w);
    const first = await hub.worker(issued.workerId);
    const containerId = await newContainer(tenant, 'ws-orphans', issued.workerId);
    const open = await hub.command(issued.workerId, { type: 'terminal.open', tenant, containerId, cols: 80, rows: 24 });
    const terminalId = open.body.terminalId as string;
    await hub.command(issued.workerId, { type: 'terminal.input', tenant, terminalId, data: 'sleep 7777\n' });
    const ps = async () => (await run('podman', ['exec', containerId, 'ps', '-o', 'pid,args'])).stdout;
    await until('sleep 7777 in the container', async () => /sleep 7777/.test(await ps()));

    w.child.kill('SIGKILL');
    await w.exited;
    // The engine does not end an exec'd process when its client dies: the orphan is there.
    expect(await ps()).toMatch(/sleep 7777/);
    // Back on a new link: the sweep runs before the worker dials.
    w = await hub.launchWorker({ ...issued, dataDir, ready: (x) => x.online && x.connectedAt !== first?.connectedAt });
    spawned.push(w);
    const after = await hub.command(issued.workerId, { type: 'container.exec', tenant, containerId, cmd: ['ps', '-o', 'pid,args'] });
    expect(after.body.exitCode).toBe(0);
    expect(after.body.stdout).toMatch(/sleep 3600/);
    expect(after.body.stdout).not.toMatch(/sleep 7777/);
    w.child.kill('SIGKILL');
  }, 180_000);

  // These two run alone: one measures memory under a flood, the other checks that nothing else disturbed the link.
  it('drops a viewer that stops reading with 4008 while hub and worker memory stay bounded and another viewer reads on', async () => {
    const tenant = `fl${RUN}`;
    const containerId = await newContainer(tenant, 'ws-flood');
    // Fast output until the test interrupts it (the timeout only caps a run the test abandoned).
    const terminalId = await openScript(tenant, containerId, `stty -echo; echo READY; read go; timeout 60 yes ${'0123456789abcdef'.repeat(12)}`);
    // reader reads throughout; stuck never reads again; slow stops reading and resumes once the hub must have dropped it.
    const reader = viewer(tenant, terminalId, 0, false);
    const stuck = viewer(tenant, terminalId, 0, false);
    const slow = viewer(tenant, terminalId, 0, false);
    for (const v of [reader, stuck, slow]) await v.when('READY', () => v.tail.includes('READY'));
    stuck.pauseReading();
    slow.pauseReading();
    const hubPid = Number(hub.app.child.pid);
    const workerPid = Number(worker.child.pid);
    const base = { hub: rssBytes(hubPid), worker: rssBytes(workerPid) };
    const peak = { ...base };
    await hub.command(workerId, { type: 'terminal.input', tenant, terminalId, data: 'go\n' });
    let slowResumedAt: number | undefined;
    let interrupted = false;
    const deadline = Date.now() + 90_000;
    // Polled often: `slow` must be read again within the hub's 1 s close grace after its drop.
    while (!reader.control('exit')) {
      if (Date.now() > deadline) throw new Error(`the flood did not end; reader at ${reader.offset}`);
      peak.hub = Math.max(peak.hub, rssBytes(hubPid));
      peak.worker = Math.max(peak.worker, rssBytes(workerPid));
      if (slowResumedAt === undefined) {
        // What the hub holds for `slow` in user space: what it sent (at least what `reader` got) minus what the
        // kernel holds on the connection and what `slow` read. Past the bound the hub has dropped it, so read now,
        // within the close grace, to see the notice and the close code.
        const held = reader.offset - slow.offset - kernelQueuedBytes(slow.localPort, hub.port);
        if (held > VIEWER_BUFFER_BOUND + 256 * 1024) {
          slowResumedAt = reader.offset;
          slow.resumeReading();
        }
      }
      if (!interrupted && reader.offset > FLOOD_BYTES) {
        interrupted = true;
        void hub.command(workerId, { type: 'terminal.input', tenant, terminalId, data: '\u0003' });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const flooded = reader.offset;
    stuck.resumeReading();
    const [slowClose, stuckClose] = await Promise.all([slow.closed, stuck.closed]);

    // The slow viewer was told why and where to resume, and the close says so.
    expect(slowResumedAt).toBeDefined();
    expect(slowClose.code).toBe(4008);
    expect(slow.control('dropped')).toMatchObject({ type: 'dropped', code: 'slow_consumer', offset: slow.offset });
    // The viewer that never read again was cut off (its socket destroyed after the close grace: 1006, or 4008
    // if the close got through) long before the flood ended, instead of being buffered for.
    expect([4008, 1006]).toContain(stuckClose.code);
    expect(stuck.offset).toBeLessThan(flooded / 2);
    // More went past the stuck viewer than the hub's bound, so a hub that buffered for it would have passed the bound.
    expect(interrupted, 'the flood reached its size before the 60 s cap').toBe(true);
    expect(peak.hub - base.hub).toBeLessThan(HUB_RSS_BOUND);
    expect(peak.worker - base.worker).toBeLessThan(WORKER_RSS_BOUND);
    // The reading viewer kept receiving to the end, long past the moment the others were dropped.
    expect(reader.controls.filter((c) => !['terminal', 'attached', 'exit'].includes(c.type))).toEqual([]);
    expect(reader.ws.readyState).toBe(reader.ws.OPEN);
    expect(flooded).toBeGreaterThan((slowResumedAt ?? Infinity) + 32 * MiB);
    reader.ws.close();
  }, 150_000);

  it('stores a 2 MiB paste byte for byte and keeps the worker link when it comes as one frame', async () => {
    const tenant = `pa${RUN}`;
    const containerId = await newContainer(tenant, 'ws-paste');
    const before = await hub.worker(workerId);
    const terminalId = await openScript(tenant, containerId, 'stty raw -echo; echo READY; head -c 2097152 > /tmp/paste; echo PASTE-DONE');
    const v = viewer(tenant, terminalId, 0);
    await v.waitControl('attached');
    await v.when('READY', () => v.tail.includes('READY'));
    // Text as a paste is: base64 lines.
    const paste = Buffer.from(
      randomBytes(1_600_000)
        .toString('base64')
        .replace(/(.{76})/g, '$1\n'),
    ).subarray(0, 2 * MiB);
    expect(paste.byteLength).toBe(2 * MiB);
    v.ws.send(paste, { binary: true });
    await v.when('PASTE-DONE', () => v.tail.includes('PASTE-DONE'), 60_000);
    expect(v.controls.filter((c) => c.type === 'error')).toEqual([]);
    const sum = await hub.command(workerId, { type: 'container.exec', tenant, containerId, cmd: ['md5sum', '/tmp/paste'] });
    expect(sum.body.stdout.split(' ')[0]).toBe(createHash('md5').update(paste).digest('hex'));
    v.ws.close();
    // The link carried it without a reconnect.
    const after = await hub.worker(workerId);
    expect(after).toMatchObject({ online: true, connectedAt: before?.connectedAt });
    expect(worker.stderr()).not.toContain('disconnected from orchestrator');
  }, 180_000);
});

function socketOf(dockerHost: string): string {
  return dockerHost.replace(/^unix:\/\//, '');
}

/** True when the engine on `socketPath` answers `path` with 200 within `timeoutMs` (default 2 s). */
function engineAnswers(socketPath: string, path: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
