import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from './which.js';

describe('findExecutable', () => {
  let root: string;
  let a: string;
  let b: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'bosun-which-'));
    a = join(root, 'a');
    b = join(root, 'b');
    await mkdir(a);
    await mkdir(b);
    await writeFile(join(a, 'tool'), '#!/bin/sh\n');
    await chmod(join(a, 'tool'), 0o644); // not executable: must be skipped
    await writeFile(join(b, 'tool'), '#!/bin/sh\n');
    await chmod(join(b, 'tool'), 0o755);
    await mkdir(join(a, 'dir-not-file'));
    await chmod(join(a, 'dir-not-file'), 0o755);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('returns the first executable file when an earlier PATH entry has a non-executable one', async () => {
    expect(await findExecutable('tool', { path: `${a}:${b}`, delimiter: ':' })).toBe(join(b, 'tool'));
  });

  it('returns undefined when the name is absent from every entry', async () => {
    expect(await findExecutable('no-such-tool-bosun', { path: `${a}:${b}`, delimiter: ':' })).toBeUndefined();
  });

  it('skips directories when one carries the name', async () => {
    expect(await findExecutable('dir-not-file', { path: a, delimiter: ':' })).toBeUndefined();
  });

  it('ignores relative and empty entries when the PATH has them', async () => {
    expect(await findExecutable('tool', { path: `::.:relative/${b}`, delimiter: ':' })).toBeUndefined();
  });

  it('finds nothing when the PATH is empty', async () => {
    expect(await findExecutable('node', { path: '' })).toBeUndefined();
  });
});
