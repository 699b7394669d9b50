import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEnded, signalMarkedArgv } from './container-processes.js';
import { processGone, waitFor } from './helpers.test-util.js';

// The script reads /proc; on the host it sees this machine's processes, so every test
// uses an agent id of its own and only its own processes carry it.
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.pid && !processGone(c.pid)) process.kill(-c.pid, 'SIGKILL');
});

/** Starts `script` in its own session (as a TTY exec's shell is) with the given markers. */
function marked(script: string, env: Record<string, string>): ChildProcess {
  const c = spawn('/bin/sh', ['-c', script], { env: { PATH: '/usr/bin:/bin', ...env }, detached: true, stdio: 'ignore' });
  c.on('error', () => undefined);
  started.push(c);
  return c;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function envOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return '';
  }
}

function run(argv: string[]): string {
  return execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
}

describe('signalMarkedArgv', () => {
  it('ends an earlier run’s shell and the unmarked children of its session, and spares kept terminals, this run and other agents, when sweeping orphans', async () => {
    const agent = `agent-${randomBytes(4).toString('hex')}`;
    // sleep 1 (env -i: no markers) stays in the orphan's session, the shell execs into sleep 2.
    const orphan = marked('env -i /bin/sleep 601 & exec /bin/sleep 602', { BOSUN_TERMINAL: 'told', BOSUN_RUN: 'run-1', BOSUN_AGENT: agent });
    const kept = marked('exec /bin/sleep 603', { BOSUN_TERMINAL: 'tkept', BOSUN_RUN: 'run-1', BOSUN_AGENT: agent });
    const current = marked('exec /bin/sleep 604', { BOSUN_TERMINAL: 'tnow', BOSUN_RUN: 'run-2', BOSUN_AGENT: agent });
    const stranger = marked('exec /bin/sleep 605', { BOSUN_TERMINAL: 'tstr', BOSUN_RUN: 'run-1', BOSUN_AGENT: `${agent}-other` });
    const pids = [orphan, kept, current, stranger].map((c) => c.pid as number);
    await waitFor(() => pids.every((p) => envOf(p).includes('BOSUN_TERMINAL=')), 5000, 'marked processes');
    await waitFor(() => childPids(pids[0] as number).length === 1, 5000, 'the orphan’s child');
    const child = childPids(pids[0] as number)[0] as number;
    // Forked with the shell's markers; unmarked only once `env -i` has exec'd sleep.
    await waitFor(() => !envOf(child).includes('BOSUN_'), 5000, 'the child to drop its markers');
    expect(envOf(child)).not.toContain('BOSUN_');

    const out = run(signalMarkedArgv({ kind: 'orphans', agentId: agent, runId: 'run-2', keep: ['tkept'] }, 'SIGKILL'));
    expect(parseEnded(out)).toEqual([{ pid: pids[0], terminalId: 'told' }, { pid: child }]);
    await waitFor(() => processGone(pids[0] as number) && processGone(child), 5000, 'orphan gone');
    expect(pids.slice(1).map(processGone)).toEqual([false, false, false]);
  });

  it('signals only the named terminals’ processes, whatever their run, when closing terminals', async () => {
    const agent = `agent-${randomBytes(4).toString('hex')}`;
    const a = marked('exec /bin/sleep 611', { BOSUN_TERMINAL: `ta${agent}`, BOSUN_RUN: 'run-9', BOSUN_AGENT: agent });
    const b = marked('exec /bin/sleep 612', { BOSUN_TERMINAL: `tb${agent}`, BOSUN_RUN: 'run-9', BOSUN_AGENT: agent });
    await waitFor(() => [a, b].every((c) => envOf(c.pid as number).includes('BOSUN_TERMINAL=')), 5000, 'marked processes');
    const out = run(signalMarkedArgv({ kind: 'terminals', terminalIds: [`ta${agent}`] }, 'SIGTERM'));
    expect(parseEnded(out)).toEqual([{ pid: a.pid, terminalId: `ta${agent}` }]);
    await waitFor(() => processGone(a.pid as number), 5000, 'terminal a gone');
    expect(processGone(b.pid as number)).toBe(false);
  });

  it('refuses ids and signals that are not plain tokens when building the command', () => {
    expect(() => signalMarkedArgv({ kind: 'terminals', terminalIds: ['t1 *'] }, 'SIGKILL')).toThrow(/bad marker/);
    expect(() => signalMarkedArgv({ kind: 'orphans', agentId: 'a', runId: '$(reboot)', keep: [] }, 'SIGKILL')).toThrow(/bad marker/);
    expect(() => signalMarkedArgv({ kind: 'terminals', terminalIds: ['t1'] }, '-9 1')).toThrow(/bad signal/);
  });
});

describe('parseEnded', () => {
  it('keeps only well-formed lines when the output holds noise or forged ids', () => {
    expect(parseEnded('ended 12 t1\nended x t2\nended 13 ?\nended 14 a b\nhello\nended 15 -\n')).toEqual([{ pid: 12, terminalId: 't1' }, { pid: 13 }, { pid: 15 }]);
  });
});
