/** Whether a probe result lands in `capabilities.runtimes` or `capabilities.tools`. */
export type ToolKind = 'runtime' | 'tool';

/** How to find one runtime or tool and read its version. */
export interface ToolSpec {
  /** Name reported in the payload. */
  name: string;
  /** Which list it goes to. */
  kind: ToolKind;
  /** Executable to look up on the PATH (default: `name`). */
  command?: string;
  /** Arguments that print the version (default `['--version']`). */
  args?: readonly string[];
  /** Extracts the version from the output (default {@link parseVersion} over stdout, then stderr). */
  parse?: (stdout: string, stderr: string) => string | undefined;
}

// Digits-dot-digits, then what tools glue on (3.3a, 9.2p1, 1.1.5+ds1, 1.0.0-rc.1).
const VERSION_RE = /(\d+\.\d+(?:\.\d+)*[0-9A-Za-z]*(?:[-+][0-9A-Za-z.]+)?)/;

/**
 * Default version parser: the first `N.N[.N…]` token in stdout, else in stderr,
 * without a leading `v` and without trailing punctuation.
 * `"Docker version 28.2.2, build e6534b4"` → `28.2.2`; `"v20.20.2"` → `20.20.2`.
 */
export function parseVersion(stdout: string, stderr = ''): string | undefined {
  for (const text of [stdout, stderr]) {
    const match = VERSION_RE.exec(text);
    if (match?.[1]) return match[1].replace(/[.+-]+$/, '');
  }
  return undefined;
}

/**
 * Probes run by default: runtimes and tools worth knowing on a sandbox host.
 * Version flags differ: `go version`, `tmux -V`, `ssh -V` (stderr), `java -version`
 * (stderr, and the only form Java 8 knows).
 */
export const DEFAULT_TOOL_SPECS: readonly ToolSpec[] = Object.freeze([
  { name: 'node', kind: 'runtime' },
  { name: 'bun', kind: 'runtime' },
  { name: 'deno', kind: 'runtime' },
  { name: 'python3', kind: 'runtime' },
  { name: 'go', kind: 'runtime', args: ['version'] },
  { name: 'java', kind: 'runtime', args: ['-version'] },
  { name: 'rustc', kind: 'runtime' },
  { name: 'ruby', kind: 'runtime' },
  { name: 'git', kind: 'tool' },
  { name: 'docker', kind: 'tool' },
  { name: 'podman', kind: 'tool' },
  { name: 'runc', kind: 'tool' },
  { name: 'crun', kind: 'tool' },
  { name: 'tmux', kind: 'tool', args: ['-V'] },
  { name: 'ssh', kind: 'tool', args: ['-V'] },
  { name: 'npm', kind: 'tool' },
  { name: 'cargo', kind: 'tool' },
  { name: 'claude', kind: 'tool' },
  { name: 'codex', kind: 'tool' },
  { name: 'gemini', kind: 'tool' },
  { name: 'opencode', kind: 'tool' },
] satisfies ToolSpec[]);
