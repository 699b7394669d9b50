import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_PROTOCOLS } from '../lib/protocols.js';
import { exportJsonSchemas } from './export-json-schema.js';

const run = promisify(execFile);
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-schemas-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const expectedFiles = () =>
  ALL_PROTOCOLS.flatMap((p) => [
    ...[...p.types.keys()].map((type) => `${p.name}/${type}.schema.json`),
    ...Object.keys(p.bodies).map((name) => `${p.name}/bodies/${name}.schema.json`),
    ...Object.keys(p.directions).map((d) => `${p.name}/${d}.union.schema.json`),
  ]);

describe('exportJsonSchemas', () => {
  it('writes one valid JSON Schema file per message, body and direction plus an index when run', async () => {
    const dir = tempDir();
    const written = await exportJsonSchemas(dir);
    const files = walk(dir).map((f) => relative(dir, f));
    expect(files.sort()).toEqual([...expectedFiles(), 'index.json'].sort());
    expect(written).toHaveLength(files.length);
    for (const file of files.filter((f) => f !== 'index.json')) {
      const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
      expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(typeof schema['title']).toBe('string');
    }
  });

  it('pins v and type as constants and forbids extra fields when the schema is a message', async () => {
    const dir = tempDir();
    await exportJsonSchemas(dir);
    for (const protocol of ALL_PROTOCOLS) {
      for (const type of protocol.types.keys()) {
        const schema = JSON.parse(readFileSync(join(dir, protocol.name, `${type}.schema.json`), 'utf8'));
        expect(schema.type).toBe('object');
        expect(schema.properties.type.const).toBe(type);
        expect(schema.properties.v.const).toBe(protocol.version);
        expect(schema.required).toEqual(expect.arrayContaining(['v', 'type']));
        expect(schema.additionalProperties).toBe(false);
      }
    }
  });

  it('lists every file with the protocol versions when writing the index', async () => {
    const dir = tempDir();
    await exportJsonSchemas(dir);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(index.protocols).toEqual(ALL_PROTOCOLS.map((p) => ({ name: p.name, version: p.version })));
    expect(index.schemas.map((s: { file: string }) => s.file).sort()).toEqual(expectedFiles().sort());
  });

  it('writes the schemas into the folder given on the command line when run as a script', async () => {
    const dir = tempDir();
    const root = join(import.meta.dirname, '../../../..');
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--conditions=@bosun/source', 'packages/protocol/src/bin/export-json-schema.ts', dir],
      { cwd: root },
    );
    expect(stdout).toContain(`wrote ${expectedFiles().length + 1} files`);
    expect(readFileSync(join(dir, 'worker', 'worker.register.schema.json'), 'utf8')).toContain('"worker.register"');
  });
});
