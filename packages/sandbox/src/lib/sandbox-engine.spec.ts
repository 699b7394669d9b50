import { lstat, mkdir, mkdtemp, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineDriver, type ContainerRef } from '@bosun/container-driver';
import { toErrorBody } from '@bosun/protocol';
import { SandboxService } from './sandbox-service.js';

const IMAGE = 'localhost/bosun-test:busybox';
const skipReason = process.env.BOSUN_NO_ENGINE === '1' ? 'BOSUN_NO_ENGINE=1' : undefined;
const driver = skipReason ? undefined : await EngineDriver.connect({ env: { ...process.env }, pingTimeoutMs: 5000 }).catch(() => undefined);
const skip = !driver || !(await driver.imageExists(IMAGE).catch(() => false));
if (skip) console.warn(`[sandbox] engine tests skipped: ${skipReason ?? `no engine answers or ${IMAGE} is missing`}`);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => toErrorBody(e).code,
  );
}

describe.skipIf(skip)(skip ? 'SandboxService on a real engine (skipped: no engine)' : 'SandboxService on a real engine', () => {
  const tenant = `sbx-${process.pid}-${Date.now().toString(36)}`;
  const tag = `localhost/bosun-sbx-${process.pid}-${Date.now().toString(36)}:1`;
  let base: string;
  let root: string;
  let svc: SandboxService;
  let a: ContainerRef;

  const sh = async (ref: ContainerRef, script: string) => {
    const r = await svc.exec(ref, { cmd: ['sh', '-c', script], timeoutMs: 20_000 });
    return { code: r.exitCode, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
  };

  beforeAll(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'bosun-sbx-engine-')));
    root = join(base, 'root');
    await mkdir(root);
    svc = new SandboxService({ driver: driver as EngineDriver, allowedRoots: [root], callTimeoutMs: 30_000 });
    // Container A: the attacker's foothold, the whole root mounted read-write.
    const c = await svc.create({ tenant, workspaceId: 'ws', image: IMAGE, cmd: ['sleep', '600'], mounts: [{ source: root, target: '/mnt' }] });
    a = { tenant, id: c.id };
    expect((await svc.start(a)).status).toBe('running');
  });

  afterAll(async () => {
    if (!svc) return;
    for (const c of await svc.list(tenant)) await svc.remove({ tenant, id: c.id }, { force: true }).catch(() => undefined);
    await svc.deleteImage(tag, { force: true }).catch(() => undefined);
    svc.close();
    await driver?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('refuses a second container mounting a symlink to / planted from inside the first, and never creates it', async () => {
    expect((await sh(a, 'ln -s / /mnt/x')).code).toBe(0);
    expect((await lstat(join(root, 'x'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(root, 'x'))).toBe('/');
    const before = (await svc.list(tenant)).length;
    const refused = svc.create({ tenant, workspaceId: 'ws', image: IMAGE, name: 'b-chain', cmd: ['cat', '/host/etc/shadow'], mounts: [{ source: join(root, 'x'), target: '/host' }] });
    expect(await codeOf(refused)).toBe('forbidden_path');
    const after = await svc.list(tenant);
    expect(after.length).toBe(before);
    expect(after.some((c) => c.name === 'b-chain')).toBe(false);
  });

  it('refuses to start a container whose bind source was swapped for a symlink to / after create, and leaves it not running', async () => {
    expect((await sh(a, 'mkdir -p /mnt/d && echo inside > /mnt/d/f')).code).toBe(0);
    const b = await svc.create({ tenant, workspaceId: 'ws', image: IMAGE, cmd: ['sleep', '600'], mounts: [{ source: join(root, 'd'), target: '/d', readOnly: true }] });
    expect(b.bindSources).toEqual([join(root, 'd')]);
    // The swap, done the way a tenant can: from inside container A.
    expect((await sh(a, 'rm -rf /mnt/d && ln -s / /mnt/d')).code).toBe(0);
    expect(await readlink(join(root, 'd'))).toBe('/');
    const ref = { tenant, id: b.id };
    expect(await codeOf(svc.start(ref))).toBe('forbidden_path');
    expect((await svc.inspect(ref)).status).toBe('created');
  });

  it('starts a container and reads through its mount when the bind source is still the directory it was at create', async () => {
    expect((await sh(a, 'mkdir -p /mnt/ok && echo hello-from-root > /mnt/ok/f')).code).toBe(0);
    const c = await svc.create({ tenant, workspaceId: 'ws', image: IMAGE, cmd: ['sleep', '600'], mounts: [{ source: join(root, 'ok'), target: '/ok', readOnly: true }] });
    const ref = { tenant, id: c.id };
    expect((await svc.start(ref)).status).toBe('running');
    expect((await sh(ref, 'cat /ok/f')).out).toBe('hello-from-root\n');
  });

  it('refuses a build context that is a symlink out of the roots', async () => {
    const outsideCtx = join(base, 'outside-ctx');
    await mkdir(outsideCtx);
    await writeFile(join(outsideCtx, 'Dockerfile'), `FROM ${IMAGE}\n`);
    await symlink(outsideCtx, join(root, 'ctx-link'));
    expect(await codeOf(svc.buildImage({ tag, context: { type: 'dir', path: join(root, 'ctx-link') } }))).toBe('forbidden_path');
    expect(await svc.imageExists(tag)).toBe(false);
  });

  it('packs a symlink inside a directory context as a link, never the host file it points to', async () => {
    const secret = `host-secret-${process.pid}-${Date.now()}`;
    await writeFile(join(base, 'secret.txt'), secret);
    const ctx = join(root, 'ctx');
    await mkdir(ctx);
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${IMAGE}\nCOPY . /ctx/\n`);
    await writeFile(join(ctx, 'plain.txt'), 'plain');
    await symlink(join(base, 'secret.txt'), join(ctx, 'leak'));
    const progress: string[] = [];
    const built = await svc.buildImage({ tag, context: { type: 'dir', path: ctx }, onProgress: (l) => progress.push(l) });
    expect(built.imageId).toBeTruthy();
    expect(progress.join('\n')).not.toContain(secret);
    const c = await svc.create({ tenant, workspaceId: 'ws', image: tag, cmd: ['sleep', '600'] });
    const ref = { tenant, id: c.id };
    await svc.start(ref);
    expect((await sh(ref, 'cat /ctx/plain.txt')).out).toBe('plain');
    const leak = await sh(ref, 'cat /ctx/leak; echo; readlink /ctx/leak; echo done');
    expect(leak.out + leak.err).not.toContain(secret);
    expect(leak.out).toContain('done');
  });
});
