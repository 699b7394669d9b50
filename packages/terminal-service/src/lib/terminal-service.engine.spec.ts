import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { EngineDriver, type ContainerRef } from '@bosun/container-driver';
import { PtyManager } from '@bosun/pty-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalService } from '../index.js';
import { Collector, waitFor } from './helpers.test-util.js';

const noEngine = process.env.BOSUN_NO_ENGINE === '1';
const engine = noEngine ? undefined : await EngineDriver.connect({ env: { ...process.env }, pingTimeoutMs: 5000 }).catch(() => undefined);
if (!engine) console.warn(`[terminal-service] engine tests skipped: ${noEngine ? 'BOSUN_NO_ENGINE=1' : 'no container engine answers'}`);

const IMAGE = 'localhost/bosun-test:busybox';
const tenant = `term-${process.pid}-${Date.now().toString(36)}`;
const workspaceRoot = join(import.meta.dirname, '../../../..');

/** Non-zombie processes whose command line contains `needle` (`ps` in the container), and processes marked with terminal `id`. */
async function inContainer(d: EngineDriver, ref: ContainerRef, needle: string, id: string): Promise<{ ps: string[]; marked: string[] }> {
  const script = `
ps -o pid,stat,args | grep -v ' Z ' | grep -F "$1" | grep -v grep
for d in /proc/[0-9]*; do
  e=$(tr '\\000' '\\n' 2>/dev/null < "$d/environ") || continue
  case "$e" in *"BOSUN_TERMINAL=$2"*) echo "marked \${d#/proc/}" ;; esac
done
exit 0`;
  const r = await d.exec(ref, { cmd: ['/bin/sh', '-c', script, 'check', needle, id], timeoutMs: 15_000 });
  const lines = r.stdout.toString('utf8').split('\n').filter(Boolean);
  return { ps: lines.filter((l) => !l.startsWith('marked ') && !l.includes('check')), marked: lines.filter((l) => l.startsWith('marked ')) };
}

describe.skipIf(!engine)(engine ? 'TerminalService on a real engine' : 'TerminalService on a real engine (skipped: no engine)', () => {
  const d = engine as EngineDriver;
  let ref: ContainerRef;

  beforeAll(async () => {
    const c = await d.create({ tenant, workspace: 'w1', image: IMAGE, cmd: ['sleep', '600'] });
    ref = { tenant, id: c.id };
    await d.start(ref);
  });

  afterAll(async () => {
    if (!engine) return;
    for (const c of await d.list(tenant)) await d.remove({ tenant, id: c.id }, { force: true });
    await d.close();
  });

  it('runs a shell in the container and ends it, children included, when the terminal is closed', async () => {
    const manager = new PtyManager({ idleGraceMs: 0, closeGraceMs: 2000 });
    const svc = new TerminalService({ manager, driver: d, agentId: `close-${process.pid}` });
    try {
      const t = await svc.open({ tenant }, { containerId: ref.id, cmd: ['/bin/sh'], cols: 90, rows: 20 });
      const c = new Collector();
      svc.attach({ tenant }, t.terminalId, { onMessage: c.sink, fromOffset: 0 });
      svc.input({ tenant }, t.terminalId, 'sleep 97531 & echo in-box-$((6*7)) $BOSUN_TERMINAL\n');
      await waitFor(() => c.text.includes(`in-box-42 ${t.terminalId}`), 15_000, 'output from the container');
      expect((await inContainer(d, ref, 'sleep 97531', t.terminalId)).ps).toHaveLength(1);
      await expect(svc.open({ tenant: `${tenant}-other` }, { containerId: ref.id })).rejects.toMatchObject({ code: 'not_found' });

      await svc.close({ tenant }, t.terminalId);
      expect(c.exited).toBe(true);
      expect(await inContainer(d, ref, 'sleep 97531', t.terminalId)).toEqual({ ps: [], marked: [] });
    } finally {
      await manager.shutdown();
    }
  });

  it('ends the shell a SIGKILLed service left in the container when the next service reconciles', async () => {
    const agentId = `orphan-${process.pid}`;
    const n = String(90_000 + (process.pid % 9000));
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@bosun/source', join(import.meta.dirname, 'engine-child.test-util.ts'), tenant, ref.id, agentId, n], {
      cwd: workspaceRoot,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`service #1 exited early (${code})`)));
      });
      const first = JSON.parse(line) as { terminalId: string; runId: string };

      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      // Nobody holds the terminal any more, yet its shell and its child still run.
      const orphaned = await inContainer(d, ref, `sleep ${n}`, first.terminalId);
      expect(orphaned.ps).toHaveLength(1);
      expect(orphaned.marked.length).toBeGreaterThanOrEqual(2);

      const manager = new PtyManager({ idleGraceMs: 0 });
      const svc = new TerminalService({ manager, driver: d, agentId });
      try {
        expect(svc.runId).not.toBe(first.runId);
        const report = await svc.reconcile();
        expect(report.failed).toEqual([]);
        const mine = report.ended.find((e) => e.containerId === ref.id);
        expect(mine?.processes.filter((p) => p.terminalId === first.terminalId).length).toBeGreaterThanOrEqual(2);
        await waitFor(async () => (await inContainer(d, ref, `sleep ${n}`, first.terminalId)).ps.length === 0, 10_000, 'orphans gone');
        expect(await inContainer(d, ref, `sleep ${n}`, first.terminalId)).toEqual({ ps: [], marked: [] });
      } finally {
        await manager.shutdown();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
