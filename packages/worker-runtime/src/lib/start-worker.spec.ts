import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentIdOf, withDriverInUse } from './start-worker.js';

describe('withDriverInUse', () => {
  const payload = { name: 'w', containerEngines: [{ name: 'podman', version: '4.3.1' }] };

  it('names the process driver first when the worker fell back to it', () => {
    expect(withDriverInUse(payload, 'process', '0.1.0').containerEngines).toEqual([
      { name: 'process', version: '0.1.0' },
      { name: 'podman', version: '4.3.1' },
    ]);
  });

  it('leaves the engines as found when the worker uses an engine', () => {
    expect(withDriverInUse(payload, 'engine', '0.1.0')).toBe(payload);
  });
});

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
