/**
 * The one conformance suite both drivers pass. Each driver's spec calls
 * `describeConformance(name, makeDriver)`; tests skip only what `capabilities()` says the
 * driver does not support. Every run uses a fresh tenant and removes all it created.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capabilities, ContainerDriver, ContainerRef, CreateSpec } from '../lib/types.js';
import { isDriverError, type DriverErrorCode } from '../lib/errors.js';

/** Options of {@link describeConformance}. */
export interface ConformanceOptions {
  /** Image for containers. Default `localhost/bosun-test:busybox`. */
  image?: string;
}

/** Asserts that `p` rejects with a DriverError of `code`. */
export async function expectCode(p: Promise<unknown>, code: DriverErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a DriverError ${code}`).toBeDefined();
  if (!isDriverError(err)) throw err;
  expect(err.code).toBe(code);
}

/** Registers the shared suite for one driver. */
export function describeConformance(
  name: string,
  makeDriver: () => Promise<ContainerDriver>,
  options: ConformanceOptions = {},
): void {
  const image = options.image ?? 'localhost/bosun-test:busybox';
  const tenant = `conf-${process.pid}-${Date.now().toString(36)}`;
  const other = `${tenant}-other`;
  let d: ContainerDriver;
  let caps: Capabilities;
  let tmp: string;

  const spec = (extra: Partial<CreateSpec> = {}): CreateSpec => ({
    tenant,
    workspace: 'ws1',
    image,
    cmd: ['sleep', '600'],
    workingDir: '/work',
    ...extra,
  });
  const running = async (extra: Partial<CreateSpec> = {}): Promise<ContainerRef> => {
    const c = await d.create(spec(extra));
    const ref = { tenant, id: c.id };
    await d.start(ref);
    return ref;
  };
  const count = async () => (await d.list(tenant)).length;

  describe(`ContainerDriver conformance: ${name}`, () => {
    beforeAll(async () => {
      d = await makeDriver();
      caps = await d.capabilities();
      tmp = await mkdtemp(join(tmpdir(), 'bosun-conf-'));
    });

    afterAll(async () => {
      if (!d) return;
      for (const t of [tenant, other]) {
        for (const c of await d.list(t)) await d.remove({ tenant: t, id: c.id }, { force: true }).catch(() => undefined);
        for (const v of await d.listVolumes(t)) await d.removeVolume(t, v.name).catch(() => undefined);
      }
      expect(await d.list(tenant)).toEqual([]);
      await d.close();
      await rm(tmp, { recursive: true, force: true });
    });

    it('reports its capabilities honestly', () => {
      expect(caps.kind).toBe(d.kind);
      expect(caps.isolation).toBe(d.kind === 'engine' ? 'container' : 'process');
      expect(caps.version).toBeTruthy();
    });

    describe('a running container', () => {
      let ref: ContainerRef;
      beforeAll(async () => {
        ref = await running({ name: 'main', labels: { team: 'blue' }, env: { GREETING: 'ahoy' } });
      });

      it('carries the bosun labels and the caller labels', async () => {
        const info = await d.inspect(ref);
        expect(info.status).toBe('running');
        expect(info.labels).toMatchObject({
          'bosun.managed': 'true',
          'bosun.tenant': tenant,
          'bosun.workspace': 'ws1',
          team: 'blue',
        });
        expect(info.name).toBe('main');
        expect((await d.inspect({ tenant, id: 'main' })).id).toBe(info.id);
      });

      it('is listed for its tenant and in listAll, never for another tenant', async () => {
        expect((await d.list(tenant)).map((c) => c.id)).toContain(ref.id);
        expect((await d.list(tenant, { labels: { team: 'blue' } })).map((c) => c.id)).toContain(ref.id);
        expect(await d.list(tenant, { workspace: 'nope' })).toEqual([]);
        expect((await d.listAll({ labels: { 'bosun.tenant': tenant } })).map((c) => c.id)).toContain(ref.id);
        expect(await d.list(other)).toEqual([]);
      });

      it('answers not_found to another tenant for every call by id', async () => {
        const foreign = { tenant: other, id: ref.id };
        await expectCode(d.inspect(foreign), 'not_found');
        await expectCode(d.exec(foreign, { cmd: ['true'] }), 'not_found');
        await expectCode(d.stop(foreign), 'not_found');
        await expectCode(d.remove(foreign, { force: true }), 'not_found');
        await expectCode(d.inspect({ tenant: other, id: 'main' }), 'not_found');
        expect((await d.inspect(ref)).status).toBe('running');
      });

      it('execs with stdout, stderr, exit code, env and working dir', async () => {
        const chunks: string[] = [];
        const r = await d.exec(ref, {
          cmd: ['sh', '-c', 'echo "$GREETING $EXTRA"; pwd; echo oops >&2; exit 3'],
          env: { EXTRA: 'there' },
          onOutput: (c) => chunks.push(c.data.toString()),
        });
        expect(r.exitCode).toBe(3);
        const [greet, pwd] = r.stdout.toString().trim().split('\n');
        expect(greet).toBe('ahoy there');
        expect(pwd.endsWith('/work')).toBe(true);
        expect(r.stderr.toString()).toBe('oops\n');
        expect(chunks.join('')).toContain('ahoy there');
        expect(r.truncated).toBe(false);
      });

      it('caps exec output and says it truncated', async () => {
        const r = await d.exec(ref, { cmd: ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo 0123456789; i=$((i+1)); done'], maxOutputBytes: 100 });
        expect(r.stdout.length).toBe(100);
        expect(r.truncated).toBe(true);
      });

      it('exits 127 for a command that does not exist', async () => {
        expect((await d.exec(ref, { cmd: ['no-such-command-xyz'] })).exitCode).toBe(127);
      });

      it('rejects with timeout when the deadline expires mid-exec, and kills the command', async () => {
        // Without the deadline the exec would resolve after 5 s, not reject: no wall-clock bound needed.
        await expectCode(d.exec(ref, { cmd: ['sh', '-c', 'sleep 5; echo late > late.txt'], timeoutMs: 400 }), 'timeout');
        await new Promise((r) => setTimeout(r, 300));
        const check = await d.exec(ref, { cmd: ['sh', '-c', 'ls late.txt 2>/dev/null || echo absent'] });
        expect(check.stdout.toString().trim()).toBe('absent');
        expect((await d.inspect(ref)).status).toBe('running');
      });

      it('runs a background command, captures its output so far, and kills it', async () => {
        const job = await d.execBackground(ref, { cmd: ['sh', '-c', 'echo started; sleep 30'] });
        let cap = await d.capture(ref, job.id);
        for (let i = 0; i < 250 && !cap.stdout.toString().includes('started'); i++) {
          await new Promise((r) => setTimeout(r, 20));
          cap = await d.capture(ref, job.id);
        }
        expect(cap.stdout.toString()).toBe('started\n');
        expect(cap.running).toBe(true);
        await expectCode(d.capture({ tenant: other, id: ref.id }, job.id), 'not_found');
        await d.kill(ref, job.id, 'SIGKILL');
        for (let i = 0; i < 250 && cap.running; i++) {
          await new Promise((r) => setTimeout(r, 20));
          cap = await d.capture(ref, job.id);
        }
        expect(cap.running).toBe(false);
        expect(cap.exitCode).not.toBe(0);
        await expectCode(d.capture(ref, 'no-such-job'), 'not_found');
      });

      it('gives an interactive TTY with resize, and stdin carries only what was written', async (ctx) => {
        if (!caps.tty) return ctx.skip();
        const tty = await d.execTty(ref, { cmd: ['sh', '-c', 'read l; echo "got:$l"; stty size; read m; stty size; exit 4'], cols: 100, rows: 30 });
        let out = '';
        tty.stream.on('data', (b: Buffer) => (out += b.toString()));
        const waitFor = async (s: string) => {
          for (let i = 0; i < 200 && !out.includes(s); i++) await new Promise((r) => setTimeout(r, 10));
          expect(out).toContain(s);
        };
        tty.stream.write('hello\n');
        await waitFor('got:hello\r\n');
        await waitFor('30 100');
        await tty.resize(120, 40);
        tty.stream.write('x\n');
        await waitFor('40 120');
        expect(await tty.exited).toBe(4);
      });

      it('stops, then refuses exec with conflict', async () => {
        const ref2 = await running();
        await d.stop(ref2, { graceMs: 500 });
        expect((await d.inspect(ref2)).status).toBe('exited');
        await expectCode(d.exec(ref2, { cmd: ['true'] }), 'conflict');
        await d.remove(ref2);
        await expectCode(d.inspect(ref2), 'not_found');
      });

      it('refuses to remove a running container without force (conflict) and removes it with force', async () => {
        const before = await count();
        const ref2 = await running();
        await expectCode(d.remove(ref2), 'conflict');
        expect((await d.inspect(ref2)).status).toBe('running');
        await d.remove(ref2, { force: true });
        expect(await count()).toBe(before);
      });
    });

    describe('main process', () => {
      it('waits for the exit code and keeps stdout and stderr apart in logs', async () => {
        const c = await d.create(spec({ cmd: ['sh', '-c', 'echo out-line; echo err-line >&2; exit 7'] }));
        const ref = { tenant, id: c.id };
        await d.start(ref);
        expect(await d.wait(ref, { timeoutMs: 10_000 })).toBe(7);
        const info = await d.inspect(ref);
        expect(info.status).toBe('exited');
        expect(info.exitCode).toBe(7);
        const got = { stdout: '', stderr: '' };
        for await (const chunk of d.logs(ref)) got[chunk.stream] += chunk.data.toString();
        expect(got).toEqual({ stdout: 'out-line\n', stderr: 'err-line\n' });
        await d.remove(ref);
      });

      it('follows logs until the container exits', async () => {
        const c = await d.create(spec({ cmd: ['sh', '-c', 'echo one; sleep 0.3; echo two'] }));
        const ref = { tenant, id: c.id };
        await d.start(ref);
        let text = '';
        for await (const chunk of d.logs(ref, { follow: true })) text += chunk.data.toString();
        expect(text).toBe('one\ntwo\n');
        await d.remove(ref);
      });

      it('enforces the file-size limit', async (ctx) => {
        if (!caps.limits.fileSize) return ctx.skip();
        const ref = await running({ limits: { fileSizeBytes: 1024 * 1024 } });
        const small = await d.exec(ref, { cmd: ['sh', '-c', 'head -c 1000 /dev/zero > small && echo ok'] });
        expect(small.stdout.toString()).toBe('ok\n');
        const big = await d.exec(ref, { cmd: ['sh', '-c', 'head -c 3000000 /dev/zero > big'] });
        expect(big.exitCode).not.toBe(0);
        await d.remove(ref, { force: true });
      });
    });

    describe('bad input leaves nothing behind', () => {
      it('rejects names with illegal characters (invalid_argument)', async () => {
        const before = await count();
        await expectCode(d.create(spec({ name: 'bad name/../x' })), 'invalid_argument');
        await expectCode(d.create(spec({ tenant: 'Bad Tenant' })), 'invalid_argument');
        await expectCode(d.create(spec({ labels: { 'bosun.tenant': other } })), 'invalid_argument');
        expect(await count()).toBe(before);
      });

      it('rejects negative and over-capacity limits (limit_invalid)', async () => {
        const before = await count();
        await expectCode(d.create(spec({ limits: { memoryBytes: -1 } })), 'limit_invalid');
        await expectCode(d.create(spec({ limits: { cpuSeconds: -5 } })), 'limit_invalid');
        await expectCode(d.create(spec({ limits: { cpus: 10_000 } })), 'limit_invalid');
        await expectCode(d.create(spec({ limits: { memoryBytes: 2 ** 60 } })), 'limit_invalid');
        await expectCode(d.create(spec({ limits: { pids: 1.5 } })), 'limit_invalid');
        expect(await count()).toBe(before);
      });

      it('rejects an unknown image (image_not_found)', async (ctx) => {
        if (!caps.images) return ctx.skip();
        const before = await count();
        await expectCode(d.create(spec({ image: 'localhost/bosun-no-such-image:0' })), 'image_not_found');
        expect(await count()).toBe(before);
      });

      it('refuses a restriction it cannot enforce (unsupported) instead of dropping it', async (ctx) => {
        const before = await count();
        if (!caps.networkModes.includes('none')) await expectCode(d.create(spec({ networkMode: 'none' })), 'unsupported');
        else if (!caps.readOnlyRoot) await expectCode(d.create(spec({ readOnlyRoot: true })), 'unsupported');
        else return ctx.skip();
        expect(await count()).toBe(before);
      });

      it('gives a clear name conflict within a tenant, but not across tenants', async () => {
        const a = await d.create(spec({ name: 'dup' }));
        await expectCode(d.create(spec({ name: 'dup' })), 'conflict');
        const b = await d.create(spec({ tenant: other, name: 'dup' }));
        await d.remove({ tenant, id: a.id });
        await d.remove({ tenant: other, id: b.id });
      });
    });

    describe('isolation options', () => {
      it('runs with no network, a read-only root and a tmpfs', async (ctx) => {
        if (!caps.readOnlyRoot || !caps.networkModes.includes('none')) return ctx.skip();
        const ref = await running({ networkMode: 'none', readOnlyRoot: true, tmpfs: { '/tmp': 'size=8m' }, workingDir: '/' });
        const r = await d.exec(ref, { cmd: ['sh', '-c', 'touch /x 2>/dev/null && echo rw || echo ro; touch /tmp/y && echo tmp-ok; cat /proc/net/dev | grep -c :'] });
        expect(r.stdout.toString().split('\n').slice(0, 3)).toEqual(['ro', 'tmp-ok', '1']);
        await d.remove(ref, { force: true });
      });

      it('keeps a named volume across containers and scopes it to the tenant', async (ctx) => {
        if (!caps.volumes) return ctx.skip();
        const v = await d.createVolume(tenant, 'data');
        expect(v).toMatchObject({ name: 'data', tenant });
        expect((await d.listVolumes(tenant)).map((x) => x.name)).toEqual(['data']);
        expect(await d.listVolumes(other)).toEqual([]);
        await expectCode(d.removeVolume(other, 'data'), 'not_found');
        const ref = await running({ mounts: [{ type: 'volume', source: 'data', target: '/data' }, { type: 'volume', target: '/anon' }] });
        await d.exec(ref, { cmd: ['sh', '-c', 'echo kept > /data/f'] });
        await expectCode(d.removeVolume(tenant, 'data'), 'conflict');
        await d.remove(ref, { force: true });
        const ref2 = await running({ mounts: [{ type: 'volume', source: 'data', target: '/data', readOnly: true }] });
        expect((await d.exec(ref2, { cmd: ['cat', '/data/f'] })).stdout.toString()).toBe('kept\n');
        await d.remove(ref2, { force: true });
        await d.removeVolume(tenant, 'data');
        expect(await d.listVolumes(tenant)).toEqual([]);
      });

      it('streams events about its containers', async (ctx) => {
        if (!caps.events) return ctx.skip();
        const ac = new AbortController();
        const seen: string[] = [];
        const done = (async () => {
          for await (const e of d.events({ signal: ac.signal })) {
            if (e.tenant === tenant) seen.push(`${e.action}:${e.id}`);
            if (seen.some((s) => s.startsWith('destroy:') || s.startsWith('remove:'))) break;
          }
        })();
        await new Promise((r) => setTimeout(r, 200));
        const c = await d.create(spec());
        await d.remove({ tenant, id: c.id });
        await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
        ac.abort();
        expect(seen).toContain(`create:${c.id}`);
      });
    });

    describe('images', () => {
      it('checks, builds from a directory and a tar, lists and deletes images', async (ctx) => {
        if (!caps.images || !caps.build) return ctx.skip();
        expect(await d.imageExists(image)).toBe(true);
        expect(await d.imageExists('localhost/bosun-no-such-image:0')).toBe(false);
        const tag = `localhost/bosun-conf-${tenant}:1`;
        await writeFile(join(tmp, 'Dockerfile'), `FROM ${image}\nCOPY hello.txt /hello.txt\nLABEL stage=conf\n`);
        await writeFile(join(tmp, 'hello.txt'), 'built\n');
        const progress: string[] = [];
        const img = await d.buildImage({ context: tmp, tag, tenant, onProgress: (l) => progress.push(l), timeoutMs: 60_000 });
        expect(img.tags).toContain(tag);
        expect(img.labels).toMatchObject({ stage: 'conf', 'bosun.tenant': tenant });
        expect(progress.join('\n')).toMatch(/COPY/);
        expect((await d.listImages()).some((i) => i.tags.includes(tag))).toBe(true);
        const ref = await running({ image: tag });
        expect((await d.exec(ref, { cmd: ['cat', '/hello.txt'] })).stdout.toString()).toBe('built\n');
        await expectCode(d.removeImage(tag), 'conflict');
        await d.remove(ref, { force: true });

        const { pack } = await import('tar-fs');
        const tarBuf = await new Promise<Buffer>((resolve, reject) => {
          const parts: Buffer[] = [];
          pack(tmp).on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
        });
        const tag2 = `${tag}-tar`;
        await d.buildImage({ context: tarBuf, tag: tag2, timeoutMs: 60_000 });
        expect(await d.imageExists(tag2)).toBe(true);
        await d.removeImage(tag2);
        await d.removeImage(tag);
        expect(await d.imageExists(tag)).toBe(false);
        await expectCode(d.removeImage(tag), 'image_not_found');
      });

      it('reports a build FROM a missing image as image_not_found', async (ctx) => {
        if (!caps.build) return ctx.skip();
        const dir = join(tmp, 'bad');
        const { mkdir } = await import('node:fs/promises');
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'Dockerfile'), 'FROM localhost/bosun-no-such-image:0\n');
        await expectCode(d.buildImage({ context: dir, tag: 'localhost/bosun-conf-bad:1', timeoutMs: 30_000 }), 'image_not_found');
      });
    });
  });
}
