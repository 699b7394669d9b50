import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBosunError } from '@bosun/protocol';
import type { BuildSpec, ContainerDriver } from '@bosun/container-driver';
import { canonicalRoots, isInsideDir, resolveInsideRoots, stillCanonicalInside } from './allowed-roots.js';
import { SandboxService } from './sandbox-service.js';

async function refusedWith(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeDefined();
  if (!isBosunError(err)) throw err;
  return err.code;
}

describe('isInsideDir', () => {
  it('compares whole segments when a sibling shares the prefix', () => {
    expect(isInsideDir('/r2', '/r')).toBe(false);
    expect(isInsideDir('/r2/x', '/r')).toBe(false);
    expect(isInsideDir('/r', '/r')).toBe(true);
    expect(isInsideDir('/r/x', '/r')).toBe(true);
    expect(isInsideDir('/r/..x', '/r')).toBe(true);
    expect(isInsideDir('/', '/r')).toBe(false);
    expect(isInsideDir('/anything', '/')).toBe(true);
  });
});

describe('resolveInsideRoots', () => {
  let base: string;
  let root: string;
  let roots: string[];
  let outside: string;

  beforeAll(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'bosun-roots-')));
    root = join(base, 'r');
    outside = join(base, 'outside');
    await mkdir(join(root, 'data', 'sub'), { recursive: true });
    await mkdir(outside);
    await mkdir(join(base, 'r2'));
    await writeFile(join(outside, 'secret'), 'host secret');
    await symlink('/', join(root, 'x'));
    await symlink(outside, join(root, 'data', 'escape'));
    await symlink(join(root, 'data', 'sub'), join(root, 'inner-link'));
    await symlink(root, join(base, 'root-link'));
    roots = await canonicalRoots([root]);
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('returns the canonical path when the path lies inside a root', async () => {
    expect(await resolveInsideRoots(join(root, 'data', 'sub'), roots, 'bind')).toBe(join(root, 'data', 'sub'));
    expect(await resolveInsideRoots(root, roots, 'bind')).toBe(root);
  });

  it('refuses with forbidden_path when a path inside the root is a symlink to /', async () => {
    expect(await refusedWith(resolveInsideRoots(join(root, 'x'), roots, 'bind'))).toBe('forbidden_path');
    expect(await refusedWith(resolveInsideRoots(join(root, 'x', 'etc'), roots, 'bind'))).toBe('forbidden_path');
  });

  it('refuses with forbidden_path when a subdirectory symlink escapes the root', async () => {
    expect(await refusedWith(resolveInsideRoots(join(root, 'data', 'escape'), roots, 'bind'))).toBe('forbidden_path');
    expect(await refusedWith(resolveInsideRoots(join(root, 'data', 'escape', 'secret'), roots, 'bind'))).toBe('forbidden_path');
  });

  it('follows a symlink that stays inside the root and hands back its target', async () => {
    expect(await resolveInsideRoots(join(root, 'inner-link'), roots, 'bind')).toBe(join(root, 'data', 'sub'));
  });

  it('refuses with forbidden_path when .. climbs out of the root', async () => {
    expect(await refusedWith(resolveInsideRoots(`${root}/data/../../outside`, roots, 'bind'))).toBe('forbidden_path');
    expect(await refusedWith(resolveInsideRoots(`${root}/..`, roots, 'bind'))).toBe('forbidden_path');
  });

  it('accepts .. that stays inside the root', async () => {
    expect(await resolveInsideRoots(`${root}/data/sub/..`, roots, 'bind')).toBe(join(root, 'data'));
  });

  it('allows paths under a root that is itself a symlink, resolved to its target', async () => {
    const viaLink = await canonicalRoots([join(base, 'root-link')]);
    expect(viaLink).toEqual([root]);
    expect(await resolveInsideRoots(join(base, 'root-link', 'data'), viaLink, 'bind')).toBe(join(root, 'data'));
  });

  it('refuses a sibling directory that shares the root as a string prefix', async () => {
    expect(await refusedWith(resolveInsideRoots(join(base, 'r2'), roots, 'bind'))).toBe('forbidden_path');
  });

  it('refuses with forbidden_path when the path is relative', async () => {
    expect(await refusedWith(resolveInsideRoots('data/sub', roots, 'bind'))).toBe('forbidden_path');
    expect(await refusedWith(resolveInsideRoots('.', roots, 'bind'))).toBe('forbidden_path');
  });

  it('refuses a missing path with the same answer as a path outside, so existence never leaks', async () => {
    const missing = resolveInsideRoots(join(root, 'nope'), roots, 'bind').catch((e: Error) => e.message.replace(join(root, 'nope'), 'P'));
    const outsideMsg = resolveInsideRoots(join(outside, 'secret'), roots, 'bind').catch((e: Error) => e.message.replace(join(outside, 'secret'), 'P'));
    expect(await missing).toBe(await outsideMsg);
  });

  it('ignores a root that does not exist', async () => {
    expect(await canonicalRoots([join(base, 'gone'), 'relative/root', root])).toEqual([root]);
  });

  it('says a recorded path is no longer canonical when a component was swapped for a symlink', async () => {
    const d = join(root, 'swap');
    await mkdir(d);
    expect(await stillCanonicalInside(d, roots)).toBe(true);
    await rm(d, { recursive: true });
    await symlink('/', d);
    expect(await stillCanonicalInside(d, roots)).toBe(false);
    expect(await stillCanonicalInside(join(base, 'r2'), roots)).toBe(false);
  });
});

describe('SandboxService', () => {
  let base: string;
  let root: string;
  const calls: string[] = [];
  // Records what reaches the engine; the refusals below must happen before any call.
  const driver = new Proxy({} as ContainerDriver, {
    get: (_t, prop: string) => (...args: unknown[]) => {
      calls.push(prop);
      if (prop === 'create') return Promise.resolve({ id: 'c1', tenant: 't', workspace: 'w', image: 'i', status: 'created', labels: {}, createdAt: '' });
      if (prop === 'buildImage') return Promise.resolve({ id: 'img1', tags: [], sizeBytes: 0, createdAt: '', labels: {} });
      return Promise.reject(new Error(`unexpected ${prop}(${JSON.stringify(args).slice(0, 80)})`));
    },
  });

  beforeAll(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'bosun-sbx-')));
    root = join(base, 'root');
    await mkdir(join(root, 'ctx'), { recursive: true });
    await writeFile(join(root, 'ctx', 'Dockerfile'), 'FROM localhost/bosun-test:busybox\n');
    await mkdir(join(root, 'ctx-evil-df'));
    await writeFile(join(base, 'outside-df'), 'FROM secret\n');
    await symlink(join(base, 'outside-df'), join(root, 'ctx-evil-df', 'Dockerfile'));
    await symlink('/etc', join(root, 'ctx-link'));
    await symlink(join(root, 'ctx'), join(root, 'ctx-ok-link'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const svc = () => new SandboxService({ driver, allowedRoots: [root] });

  it('refuses a bind source planted as a symlink to / before the engine sees the create', async () => {
    await symlink('/', join(root, 'x'));
    calls.length = 0;
    const req = { tenant: 't', workspaceId: 'w', image: 'i', mounts: [{ source: join(root, 'x'), target: '/host' }] };
    expect(await refusedWith(svc().create(req))).toBe('forbidden_path');
    expect(calls).toEqual([]);
  });

  it('hands the driver the canonical bind source and records it when the request goes through a symlink inside the root', async () => {
    calls.length = 0;
    const { spec, bindSources } = await svc().createSpec({ tenant: 't', workspaceId: 'w', image: 'i', mounts: [{ source: join(root, 'ctx-ok-link'), target: '/w' }] });
    expect(spec.mounts).toEqual([{ type: 'bind', source: join(root, 'ctx'), target: '/w', readOnly: undefined }]);
    expect(bindSources).toEqual([join(root, 'ctx')]);
    expect(JSON.parse(spec.labels?.['bosun-bind-sources'] ?? '')).toEqual([join(root, 'ctx')]);
  });

  it('overwrites a caller label that tries to forge the recorded bind sources', async () => {
    const { spec } = await svc().createSpec({ tenant: 't', workspaceId: 'w', image: 'i', labels: { 'bosun-bind-sources': '["/"]', 'bosun-profile': 'open' }, securityProfile: 'strict' });
    expect(spec.labels).toMatchObject({ 'bosun-bind-sources': '[]', 'bosun-profile': 'strict' });
  });

  it('refuses every bind mount when no roots are configured', async () => {
    const s = new SandboxService({ driver });
    expect(await refusedWith(s.create({ tenant: 't', workspaceId: 'w', image: 'i', mounts: [{ source: root, target: '/w' }] }))).toBe('forbidden_path');
  });

  it('refuses a build context that is a symlink out of the roots', async () => {
    calls.length = 0;
    expect(await refusedWith(svc().buildImage({ tag: 'localhost/x:1', context: { type: 'dir', path: join(root, 'ctx-link') } }))).toBe('forbidden_path');
    expect(calls).toEqual([]);
  });

  it('refuses a build context whose Dockerfile is a symlink out of the context', async () => {
    calls.length = 0;
    expect(await refusedWith(svc().buildImage({ tag: 'localhost/x:1', context: { type: 'dir', path: join(root, 'ctx-evil-df') } }))).toBe('forbidden_path');
    expect(await refusedWith(svc().buildImage({ tag: 'localhost/x:1', dockerfile: '../ctx-evil-df/Dockerfile', context: { type: 'dir', path: join(root, 'ctx') } }))).toBe(
      'forbidden_path',
    );
    expect(calls).toEqual([]);
  });

  it('builds from the canonical context when the context is a symlink inside the roots', async () => {
    calls.length = 0;
    const seen: unknown[] = [];
    const spy = new Proxy(driver, { get: (t, p: string) => (p === 'buildImage' ? (spec: BuildSpec) => (seen.push(spec), t.buildImage(spec)) : Reflect.get(t, p)) });
    const s = new SandboxService({ driver: spy, allowedRoots: [root] });
    await s.buildImage({ tag: 'localhost/x:1', context: { type: 'dir', path: join(root, 'ctx-ok-link') } });
    expect(seen[0]).toMatchObject({ context: join(root, 'ctx'), dockerfile: 'Dockerfile' });
  });

  it('validates its options once and freezes them', () => {
    expect(() => new SandboxService({ driver, callTimeoutMs: 0 })).toThrow(RangeError);
    const s = new SandboxService({ driver });
    expect(Object.isFrozen(s.options)).toBe(true);
    expect(s.options).toMatchObject({ securityFloor: 'open', callTimeoutMs: 30_000, execGraceMs: 3_000, allowedRoots: [] });
  });
});
