/**
 * Writes the JSON Schema of every Bosun wire message to a folder.
 *
 *   tsx --conditions=@bosun/source packages/protocol/src/bin/export-json-schema.ts [outDir]
 *
 * `outDir` defaults to `./schemas` (relative to the current directory). Existing
 * files with the same names are overwritten; others are left alone.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { jsonSchemaIndex, jsonSchemas } from '../lib/json-schema.js';

/** Writes every schema plus `index.json` under `outDir`; returns the files written (absolute). */
export async function exportJsonSchemas(outDir: string): Promise<string[]> {
  const root = resolve(outDir);
  const entries = jsonSchemas();
  const written: string[] = [];
  const write = async (file: string, value: unknown) => {
    const path = join(root, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
    written.push(path);
  };
  for (const entry of entries) await write(entry.file, entry.schema);
  await write('index.json', jsonSchemaIndex(entries));
  return written;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write('usage: export-json-schema [outDir]   (default ./schemas)\n');
    return 0;
  }
  const outDir = args[0] ?? 'schemas';
  const files = await exportJsonSchemas(outDir);
  process.stdout.write(`wrote ${files.length} files to ${resolve(outDir)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`export-json-schema: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
