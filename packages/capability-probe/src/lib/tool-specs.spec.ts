import { describe, expect, it } from 'vitest';
import { DEFAULT_TOOL_SPECS, parseVersion } from './tool-specs.js';

describe('parseVersion', () => {
  it.each([
    ['v20.20.2\n', '', '20.20.2'],
    ['Docker version 28.2.2, build e6534b4', '', '28.2.2'],
    ['podman version 4.3.1', '', '4.3.1'],
    ['go version go1.22.1 linux/amd64', '', '1.22.1'],
    ['tmux 3.3a', '', '3.3a'],
    ['', 'OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026', '9.2p1'],
    ['', 'openjdk version "17.0.15" 2025-04-15', '17.0.15'],
    ['runc version 1.1.5+ds1\ncommit: 1.1.5', '', '1.1.5+ds1'],
    ['1.0.3 (Claude Code)', '', '1.0.3'],
    ['codex-cli 0.20.0', '', '0.20.0'],
    ['deno 2.1.0-rc.1 (stable, release)', '', '2.1.0-rc.1'],
  ])('reads %j / %j as %s when the tool prints it', (stdout, stderr, expected) => {
    expect(parseVersion(stdout, stderr)).toBe(expected);
  });

  it('returns undefined when no version-like token is printed', () => {
    expect(parseVersion('usage: foo [options]', 'unknown option -- -')).toBeUndefined();
  });

  it('prefers stdout when both streams carry a version', () => {
    expect(parseVersion('tool 2.0.0', 'warning: lib 1.0.0')).toBe('2.0.0');
  });
});

describe('DEFAULT_TOOL_SPECS', () => {
  it('covers the runtimes and agent CLIs the worker advertises when used as default', () => {
    const names = DEFAULT_TOOL_SPECS.map((s) => s.name);
    for (const n of ['node', 'python3', 'go', 'git', 'docker', 'podman', 'tmux', 'claude', 'codex', 'gemini', 'opencode']) {
      expect(names).toContain(n);
    }
    expect(new Set(names).size).toBe(names.length);
  });
});
