import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConformance, expectCode } from '../../conformance/conformance.test-util.js';
import { EngineDriver, resizeExec } from './engine-driver.js';

const noEngine = process.env.BOSUN_NO_ENGINE === '1';
if (noEngine) console.warn('[container-driver] engine tests skipped: BOSUN_NO_ENGINE=1 (no container engine)');
const env = { ...process.env };
const connect = () => EngineDriver.connect({ env, pingTimeoutMs: 5000 });

describe.skipIf(noEngine)(noEngine ? 'EngineDriver (skipped: BOSUN_NO_ENGINE=1)' : 'EngineDriver', () => {
  describeConformance('engine', connect);

  describe('Podman 4.3 workarounds', () => {
    let d: EngineDriver;
    const tenant = `quirk-${process.pid}-${Date.now().toString(36)}`;
    beforeAll(async () => {
      d = await connect();
    });
    afterAll(async () => {
      for (const c of await d.list(tenant)) await d.remove({ tenant, id: c.id }, { force: true });
      await d.close();
    });

    it('treats exec resize answering 201 as success', async () => {
      const c = await d.create({ tenant, workspace: 'w', image: 'localhost/bosun-test:busybox', cmd: ['sleep', '600'] });
      await d.start({ tenant, id: c.id });
      const ex = await d.docker.getContainer(c.id).exec({ Cmd: ['sh', '-c', 'while read l; do stty size; done'], AttachStdin: true, AttachStdout: true, Tty: true });
      const stream = await ex.start({ hijack: true, stdin: true, Tty: true });
      let out = '';
      stream.on('data', (b: Buffer) => (out += b.toString()));
      // dockerode alone rejects here (Podman answers 201); resizeExec must not.
      const raw = await ex.resize({ h: 33, w: 77 }).then(
        () => 'ok',
        (e: { statusCode?: number }) => e.statusCode,
      );
      expect([201, 'ok']).toContain(raw);
      // Podman applies a resize after answering it, so ask for the size until it shows
      // (bounded): what is tested is that the 201 answer meant the resize happened. Each
      // size is awaited before the next resize: two resizes in flight may land in either
      // order on a loaded engine.
      const showsSize = async (size: string) => {
        const deadline = Date.now() + 20_000;
        while (!out.includes(size) && Date.now() < deadline) {
          stream.write('go\n');
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await showsSize('33 77');
      expect(out).toContain('33 77');
      await expect(resizeExec(ex, 91, 27)).resolves.toBeUndefined();
      await showsSize('27 91');
      stream.end();
      expect(out).toContain('27 91');
    });

    it('removes a container together with its anonymous volumes', async () => {
      const c = await d.create({ tenant, workspace: 'w', image: 'localhost/bosun-test:busybox', cmd: ['true'], mounts: [{ type: 'volume', target: '/anon' }] });
      const raw = await d.docker.getContainer(c.id).inspect();
      const volume = raw.Mounts.find((m) => m.Destination === '/anon')?.Name as string;
      expect(volume).toBeTruthy();
      await d.docker.getVolume(volume).inspect();
      await d.remove({ tenant, id: c.id });
      await expect(d.docker.getVolume(volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
    });

    it('reports a pull failure that only appears in the progress stream as image_not_found', async () => {
      await expectCode(d.pullImage('localhost:1/bosun-nowhere:1', { timeoutMs: 15_000 }), 'image_not_found');
    });

    it('merges base ulimits so a cpu/fsize limit still starts (Podman replaces default_ulimits)', async () => {
      const c = await d.create({ tenant, workspace: 'w', image: 'localhost/bosun-test:busybox', cmd: ['sleep', '600'], limits: { cpuSeconds: 50 } });
      const ref = { tenant, id: c.id };
      await d.start(ref);
      const r = await d.exec(ref, { cmd: ['sh', '-c', 'ulimit -t; ulimit -n'] });
      expect(r.stdout.toString().trim().split('\n')).toEqual(['50', '1024']);
    });

    it('enforces cpu, memory and pids limits through the engine', async () => {
      const c = await d.create({
        tenant,
        workspace: 'w',
        image: 'localhost/bosun-test:busybox',
        cmd: ['sleep', '600'],
        limits: { cpus: 0.5, memoryBytes: 32 * 1024 * 1024, pids: 20 },
      });
      const raw = await d.docker.getContainer(c.id).inspect();
      expect(raw.HostConfig).toMatchObject({ NanoCpus: 500_000_000, Memory: 32 * 1024 * 1024, PidsLimit: 20 });
      const ref = { tenant, id: c.id };
      await d.start(ref);
      const r = await d.exec(ref, { cmd: ['sh', '-c', 'for i in $(seq 1 40); do sleep 5 & done'], timeoutMs: 10_000 });
      expect(r.stderr.toString()).toMatch(/can't fork/);
      const procs = await d.exec(ref, { cmd: ['sh', '-c', 'ls -d /proc/[0-9]* | wc -l'] });
      expect(Number(procs.stdout.toString().trim())).toBeLessThanOrEqual(21);
    });
  });
});
