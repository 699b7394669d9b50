import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@bosun/logger';
import { describe, expect, it } from 'vitest';
import { agentIdOf, createTerminalStack } from './terminal-stack.js';

describe('agentIdOf', () => {
  it('keeps one id per data dir, written 0600, when asked twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-agent-id-'));
    const first = agentIdOf(dir);
    expect(first).toMatch(/^w[0-9a-f]{18}$/);
    expect(agentIdOf(dir)).toBe(first);
    expect(readFileSync(join(dir, 'agent-id'), 'utf8').trim()).toBe(first);
    expect(statSync(join(dir, 'agent-id')).mode & 0o777).toBe(0o600);
    expect(agentIdOf(mkdtempSync(join(tmpdir(), 'bosun-agent-id-')))).not.toBe(first);
  });
});

describe('createTerminalStack', () => {
  it('falls back to the process driver, which alone allows host shells, when no engine socket exists, and keeps owners in terminals.json', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bosun-stack-'));
    const stack = await createTerminalStack({ dataDir, dockerHost: `unix://${join(dataDir, 'no-engine.sock')}`, env: { PATH: process.env.PATH }, logger: silentLogger });
    try {
      expect(stack.driverKind).toBe('process');
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const t = await stack.service.open({ tenant: 'ws-a' }, { cmd: ['/bin/sh', '-c', 'echo stack-ok; sleep 5'], cols: 80, rows: 24 });
      expect(stack.service.list({ tenant: 'ws-a' }).map((x) => x.terminalId)).toEqual([t.terminalId]);
      expect(stack.service.list({ tenant: 'ws-b' })).toEqual([]);
      const saved = JSON.parse(readFileSync(join(dataDir, 'terminals.json'), 'utf8')) as unknown;
      expect(JSON.stringify(saved)).toContain(t.terminalId);
    } finally {
      await stack.close();
    }
  });
});
