import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { summarise } from './summarise.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const pkg = (dir: string) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Record<string, unknown>;
const projectDirs = ['packages', 'apps'].flatMap((d) => readdirSync(join(root, d)).map((n) => `${d}/${n}`));

describe('workspace', () => {
  it('gives every package and app the one version of the repo', () => {
    const version = pkg('.').version;
    for (const dir of [...projectDirs, 'tools', 'e2e']) expect(`${dir}@${pkg(dir).version}`).toBe(`${dir}@${version}`);
  });

  it('pins every dependency exactly', () => {
    for (const dir of ['.', ...projectDirs, 'tools', 'e2e']) {
      const p = pkg(dir) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      for (const [name, range] of Object.entries({ ...p.dependencies, ...p.devDependencies })) {
        expect(`${dir}: ${name}@${range}`).toMatch(/@\d+\.\d+\.\d+$/);
      }
    }
  });

  it('tags every project with its layer', () => {
    for (const dir of projectDirs) {
      const tags = ((pkg(dir).nx as { tags?: string[] } | undefined)?.tags ?? []).filter((t) => t.startsWith('type:'));
      expect(`${dir} ${tags.length}`).toBe(`${dir} 1`);
    }
  });

  it('exposes the @bosun/source condition from every library', () => {
    for (const dir of projectDirs.filter((d) => d.startsWith('packages/'))) {
      const exp = (pkg(dir).exports as Record<string, Record<string, string>>)['.'];
      expect(Object.keys(exp)[0]).toBe('@bosun/source');
    }
  });

  it('fails lint on an import that breaks the layer boundaries', async () => {
    // A util library may not import a driver: apps → features → drivers → protocol → util.
    const probe = join(root, 'packages/config/src/boundary-probe.ts');
    writeFileSync(probe, "import '@bosun/pty-manager';\nexport const probe = 1;\n");
    try {
      const result = await run('npx', ['eslint', '--no-cache', 'src/boundary-probe.ts'], { cwd: join(root, 'packages/config') }).then(
        () => ({ code: 0, stdout: '' }),
        (e: { code: number; stdout: string }) => e,
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('@nx/enforce-module-boundaries');
      expect(result.stdout).toMatch(/tagged with "type:util" can only depend on libs tagged with "type:util"/);
    } finally {
      rmSync(probe, { force: true });
    }
  }, 60_000);
});

describe('library lint rules', () => {
  it('fails lint when a library reads process.env', async () => {
    const probe = join(root, 'packages/config/src/env-probe.ts');
    writeFileSync(probe, 'export const home = process.env.HOME;\n');
    try {
      const result = await run('npx', ['eslint', '--no-cache', 'src/env-probe.ts'], { cwd: join(root, 'packages/config') }).then(
        () => ({ code: 0, stdout: '' }),
        (e: { code: number; stdout: string }) => e,
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('Libraries never read process.env');
    } finally {
      rmSync(probe, { force: true });
    }
  }, 60_000);
});

describe('summarise', () => {
  it('adds up passed, failed and skipped over every report', () => {
    const dir = join(root, 'tmp/summarise-test');
    rmSync(dir, { recursive: true, force: true });
    const mk = (n: string, p: number, f: number, s: number) =>
      writeFileSync(join(dir, n), JSON.stringify({ numPassedTests: p, numFailedTests: f, numPendingTests: s, numTodoTests: 0, numFailedTestSuites: f ? 1 : 0 }));
    mkdirSync(dir, { recursive: true });
    mk('a.json', 3, 1, 0);
    mk('b.json', 4, 0, 2);
    expect(summarise(dir)).toEqual({ passed: 7, failed: 1, skipped: 2, brokenFiles: 1 });
    rmSync(dir, { recursive: true, force: true });
  });
});
