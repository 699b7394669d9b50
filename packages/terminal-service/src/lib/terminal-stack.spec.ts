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

  it('holds an attach\'s replay and later messages until release, then hands them over in order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bosun-stack-'));
    const stack = await createTerminalStack({ dataDir, dockerHost: `unix://${join(dataDir, 'no-engine.sock')}`, env: { PATH: process.env.PATH }, logger: silentLogger });
    try {
      const t = await stack.service.open({ tenant: 'ws' }, { cmd: ['/bin/sh', '-c', 'echo first; read x; echo second-$x; sleep 5'] });
      for (let i = 0; i < 500 && stack.service.get({ tenant: 'ws' }, t.terminalId).offset === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const got: string[] = [];
      const { handle } = stack.service.attach({ tenant: 'ws' }, t.terminalId, { fromOffset: 0, hold: true, onMessage: (m) => void (m.type === 'data' && got.push(m.data.toString())) });
      stack.service.input({ tenant: 'ws' }, t.terminalId, 'go\n');
      for (let i = 0; i < 500 && stack.service.get({ tenant: 'ws' }, t.terminalId).offset < 20; i++) await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual([]);
      handle.release();
      expect(got.join('')).toMatch(/first[\s\S]*second-go/);
      handle.release();
      expect(got.join('').match(/first/g)).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });
});

