import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { manualClock } from '@bosun/util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnCommandRunner, type CommandResult } from './command-runner.js';
import { alive, fakeRunner, recordingLogger, result, settledFlag, turn } from './fakes.test-util.js';
import { probeTool, probeTools, type ToolProbeContext } from './probe-tools.js';
import type { ToolSpec } from './tool-specs.js';
import { UNKNOWN_VERSION } from './types.js';

describe('probeTools', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'bosun-tools-'));
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) {
      await writeFile(join(bin, name), '#!/bin/sh\n');
      await chmod(join(bin, name), 0o755);
    }
  });
  afterAll(() => rm(bin, { recursive: true, force: true }));

  const ctx = (run: ToolProbeContext['run'], timeoutMs = 200, clock?: ToolProbeContext['clock']): ToolProbeContext => ({
    run,
    path: bin,
    env: {},
    timeoutMs,
    logger: recordingLogger(),
    ...(clock ? { clock } : {}),
  });

  // Slow fakes the test releases by hand: `running` counts the calls in flight.
  function gatedRunner(versions: Record<string, string>) {
    const gates: Array<() => void> = [];
    const state = { running: 0, peak: 0, gates };
    const gated = (v: string) => () => {
      state.running++;
      state.peak = Math.max(state.peak, state.running);
      return new Promise<CommandResult>((resolve) =>
        gates.push(() => {
          state.running--;
          resolve(result({ stdout: v }));
        }),
      );
    };
    const run = fakeRunner(Object.fromEntries(Object.entries(versions).map(([name, v]) => [name, gated(v)])));
    return { run, state };
  }

  it('reports name, version and path when the tool answers', async () => {
    const run = fakeRunner({ alpha: result({ stdout: 'alpha 1.2.3\n' }) });
    const tools = await probeTools([{ name: 'alpha', kind: 'tool' }], ctx(run));
    expect(tools).toEqual([{ name: 'alpha', kind: 'tool', version: '1.2.3', path: join(bin, 'alpha') }]);
    expect(run.calls).toEqual([{ file: join(bin, 'alpha'), args: ['--version'] }]);
  });

  it('leaves a tool out when it is not on the PATH', async () => {
    const run = fakeRunner({});
    expect(await probeTools([{ name: 'not-here', kind: 'tool' }], ctx(run))).toEqual([]);
    expect(run.calls).toEqual([]);
  });

  it('reports version unknown when the runner says it timed out', async () => {
    const run = fakeRunner({ alpha: result({ timedOut: true, exitCode: null }) });
    const [tool] = await probeTools([{ name: 'alpha', kind: 'tool' }], ctx(run));
    expect(tool?.version).toBe(UNKNOWN_VERSION);
  });

  it('reports version unknown at its own deadline when a runner never resolves', async () => {
    const run = fakeRunner({ alpha: 'hang' });
    const clock = manualClock();
    const probing = probeTools([{ name: 'alpha', kind: 'tool' }], ctx(run, 100, clock));
    const state = settledFlag(probing);
    await vi.waitFor(() => expect(run.calls).toHaveLength(1));
    // Past the runner's own deadline the probe still trusts it a little; then it stops waiting.
    clock.advance(100);
    await turn();
    expect(state.settled).toBe(false);
    clock.advance(250);
    const [tool] = await probing;
    expect(tool).toMatchObject({ name: 'alpha', version: UNKNOWN_VERSION });
  });

  it('reports version unknown when the output has no version or the parser throws', async () => {
    const run = fakeRunner({ alpha: result({ stdout: 'usage: alpha' }), beta: result({ stdout: '1.0.0' }) });
    const specs: ToolSpec[] = [
      { name: 'alpha', kind: 'tool' },
      { name: 'beta', kind: 'tool', parse: () => { throw new Error('boom'); } },
    ];
    const tools = await probeTools(specs, ctx(run));
    expect(tools.map((t) => t.version)).toEqual([UNKNOWN_VERSION, UNKNOWN_VERSION]);
  });

  it('uses the spec command, args and parser when a spec gives them', async () => {
    const run = fakeRunner({ gamma: result({ stderr: 'gamma ver=7' }) });
    const spec: ToolSpec = { name: 'g', kind: 'runtime', command: 'gamma', args: ['-V'], parse: (_o, e) => /ver=(\d+)/.exec(e)?.[1] };
    expect(await probeTool(spec, ctx(run))).toEqual({ name: 'g', kind: 'runtime', version: '7', path: join(bin, 'gamma') });
    expect(run.calls[0]?.args).toEqual(['-V']);
  });

  it('runs at most `concurrency` probes at once when given a limit', async () => {
    const { run, state } = gatedRunner({ alpha: '1.0', beta: '2.0', gamma: '3.0', delta: '4.0' });
    const probing = probeTools(
      ['alpha', 'beta', 'gamma', 'delta'].map((name) => ({ name, kind: 'tool' as const })),
      ctx(run, 1000),
      2,
    );
    // Release one probe at a time, each only once the limit is reached again (or nothing is left to start).
    for (let released = 0; released < 4; released++) {
      await vi.waitFor(() => expect(state.running).toBe(Math.min(2, 4 - released)));
      state.gates.shift()?.();
    }
    const tools = await probing;
    expect(tools.map((t) => t.version)).toEqual(['1.0', '2.0', '3.0', '4.0']);
    expect(run.calls.map((c) => c.file.split('/').pop())).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    expect(state.peak).toBe(2);
  });

  it('runs probes concurrently when several tools are slow', async () => {
    const { run, state } = gatedRunner({ alpha: '1.0', beta: '2.0', gamma: '3.0', delta: '4.0' });
    const probing = probeTools(
      ['alpha', 'beta', 'gamma', 'delta'].map((name) => ({ name, kind: 'tool' as const })),
      ctx(run, 1000),
    );
    // All four are in flight at once before any answers (counted, not timed); serial probing never gets there.
    await vi.waitFor(() => expect(state.running).toBe(4));
    for (const release of state.gates.splice(0).reverse()) release();
    const tools = await probing;
    expect(tools.map((t) => t.version)).toEqual(['1.0', '2.0', '3.0', '4.0']);
    expect(state.peak).toBe(4);
  });
});

describe('probeTools on this machine', () => {
  let fakeBin: string;
  const nodeDir = dirname(execFileSync('/bin/sh', ['-c', 'command -v node']).toString().trim());
  const gitDir = dirname(execFileSync('/bin/sh', ['-c', 'command -v git']).toString().trim());

  beforeAll(async () => {
    fakeBin = await mkdtemp(join(tmpdir(), 'bosun-fake-bin-'));
    // Absolute path: the probe's env has only fakeBin on its PATH. The sleep is a
    // grandchild holding stdout, the case execFile's own timeout cannot handle.
    await writeFile(join(fakeBin, 'sleepy-tool'), `#!/bin/sh\necho $$ > ${join(fakeBin, 'sleepy.pid')}\n/bin/sleep 1000\n`);
    await chmod(join(fakeBin, 'sleepy-tool'), 0o755);
  });
  afterAll(() => rm(fakeBin, { recursive: true, force: true }));

  it('finds node and git with the versions they print when both are installed', async () => {
    const path = [fakeBin, nodeDir, gitDir].join(':');
    const tools = await probeTools(
      [
        { name: 'node', kind: 'runtime' },
        { name: 'git', kind: 'tool' },
      ],
      { run: spawnCommandRunner, path, env: { PATH: path }, timeoutMs: 15_000, logger: recordingLogger() },
    );
    const nodeVersion = execFileSync(join(nodeDir, 'node'), ['--version']).toString().trim();
    const gitVersion = execFileSync(join(gitDir, 'git'), ['--version']).toString().trim();
    expect(tools.find((t) => t.name === 'node')).toEqual({ name: 'node', kind: 'runtime', version: nodeVersion.replace(/^v/, ''), path: join(nodeDir, 'node') });
    const git = tools.find((t) => t.name === 'git');
    expect(git?.path).toBe(join(gitDir, 'git'));
    expect(gitVersion).toContain(git?.version);
  });

  it('reports a tool that sleeps forever as found with version unknown at its deadline', async () => {
    const path = fakeBin;
    const clock = manualClock();
    const probing = probeTools(
      [
        { name: 'sleepy-tool', kind: 'tool' },
        { name: 'bosun-no-such-tool', kind: 'tool' },
      ],
      { run: spawnCommandRunner, path, env: { PATH: path }, timeoutMs: 500, logger: recordingLogger(), clock },
    );
    const state = settledFlag(probing);
    const pid = await vi.waitFor(async () => {
      const n = Number((await readFile(join(fakeBin, 'sleepy.pid'), 'utf8')).trim());
      if (!n) throw new Error('sleepy-tool has not started yet');
      return n;
    }, { timeout: 10_000, interval: 20 });
    // It really hangs until the deadline; without the group kill it would take 1000 s.
    clock.advance(499);
    await turn();
    expect(state.settled).toBe(false);
    clock.advance(1);
    const tools = await probing;
    expect(tools).toEqual([{ name: 'sleepy-tool', kind: 'tool', version: UNKNOWN_VERSION, path: join(fakeBin, 'sleepy-tool') }]);
    // The tool's shell was killed with its group.
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 10_000, interval: 20 });
  });
});
