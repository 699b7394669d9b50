import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveScript, runEntry, runEntryOnTerminal } from './run-entry.js';

const dir = mkdtempSync(join(tmpdir(), 'bosun-run-entry-'));
const entry = join(dir, 'entry.ts');
writeFileSync(
  entry,
  "process.stdout.write(`${process.argv[2]} tty=${String(process.stdout.isTTY === true)} force=${process.env.FORCE_COLOR ?? '-'} level=${process.env.LOG_LEVEL}\\n`);\nprocess.stderr.write('err\\n');\nprocess.exit(3);\n",
);

describe('runEntry', () => {
  it('runs the entry from source with pipes, its exit code, and without the runner colour switches', async () => {
    const r = await runEntry(entry, ['hello'], { baseEnv: { ...process.env, FORCE_COLOR: '1' } });
    expect(r).toEqual({ code: 3, stdout: 'hello tty=false force=- level=info\n', stderr: 'err\n' });
  });

  it.skipIf(!haveScript)('gives the entry a terminal for stdout when asked, with plain newlines back', async () => {
    const r = await runEntryOnTerminal(entry, ["it's"], { baseEnv: process.env, env: { LOG_LEVEL: 'debug' } });
    expect(r.stdout).toContain("it's tty=true force=- level=debug\n");
  });
});
