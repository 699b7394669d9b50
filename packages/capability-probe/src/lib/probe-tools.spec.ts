import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCommandRunner } from './command-runner.js';
import { fakeRunner, recordingLogger, result } from './fakes.test-util.js';
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

  const ctx = (run: ToolProbeContext['run'], timeoutMs = 200): ToolProbeContext => ({
    run,
    path: bin,
    env: {},
    timeoutMs,
    logger: recordingLogger(),
  });

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

  it('reports version unknown by its own deadline when a runner never resolves', async () => {
    const run = fakeRunner({ alpha: 'hang' });
    const started = Date.now();
    const [tool] = await probeTools([{ name: 'alpha', kind: 'tool' }], ctx(run, 100));
    expect(tool).toMatchObject({ name: 'alpha', version: UNKNOWN_VERSION });
    expect(Date.now() - started).toBeLessThan(1000);
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
    let running = 0;
    let peak = 0;
    const slow = () => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 30));
      running--;
      return result({ stdout: '1.0' });
    };
    const run = fakeRunner({ alpha: slow(), beta: slow(), gamma: slow(), delta: slow() });
    const tools = await probeTools(
      ['alpha', 'beta', 'gamma', 'delta'].map((name) => ({ name, kind: 'tool' as const })),
      ctx(run, 1000),
      2,
    );
    expect(tools).toHaveLength(4);
    expect(peak).toBe(2);
  });

  it('runs probes concurrently when several tools are slow', async () => {
    let inFlight = 0;
    let most = 0;
    const slow = (v: string) => () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      return new Promise<ReturnType<typeof result>>((r) => setTimeout(() => ((inFlight -= 1), r(result({ stdout: v }))), 150));
    };
    const run = fakeRunner({ alpha: slow('1.0'), beta: slow('2.0'), gamma: slow('3.0'), delta: slow('4.0') });
    const tools = await probeTools(
      ['alpha', 'beta', 'gamma', 'delta'].map((name) => ({ name, kind: 'tool' as const })),
      ctx(run, 1000),
    );
    expect(tools.map((t) => t.version)).toEqual(['1.0', '2.0', '3.0', '4.0']);
    // All four were running at once (counted, not timed).
    expect(most).toBe(4);
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
    await writeFile(join(fakeBin, 'sleepy-tool'), '#!/bin/sh\n/bin/sleep 1000\n');
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

  it('reports a tool that sleeps forever as found with version unknown within its deadline', async () => {
    const path = fakeBin;
    const started = Date.now();
    const tools = await probeTools(
      [
        { name: 'sleepy-tool', kind: 'tool' },
        { name: 'bosun-no-such-tool', kind: 'tool' },
      ],
      { run: spawnCommandRunner, path, env: { PATH: path }, timeoutMs: 500, logger: recordingLogger() },
    );
    // 500 ms deadline plus slack for a loaded machine; without the group kill this would take 1000 s.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450); // it really hung until the deadline
    expect(elapsed).toBeLessThan(2500);
    expect(tools).toHaveLength(1);
    expect(tools.find((t) => t.name === 'sleepy-tool')).toEqual({
      name: 'sleepy-tool',
      kind: 'tool',
      version: UNKNOWN_VERSION,
      path: join(fakeBin, 'sleepy-tool'),
    });
    expect(tools.find((t) => t.name === 'bosun-no-such-tool')).toBeUndefined();
  });
});
