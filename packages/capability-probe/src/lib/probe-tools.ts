import type { Clock } from '@bosun/util';
import type { CommandRunner } from './command-runner.js';
import { withDeadline } from './deadline.js';
import type { Logger } from './logger.js';
import type { ToolKind, ToolSpec } from './tool-specs.js';
import { parseVersion } from './tool-specs.js';
import { UNKNOWN_VERSION, type ToolInfo } from './types.js';
import { findExecutable } from './which.js';

/** What {@link probeTool} needs; the probe filled in by `CapabilityProbe` options. */
export interface ToolProbeContext {
  /** Runs the version command. */
  run: CommandRunner;
  /** PATH to scan. */
  path: string;
  /** Windows executable extensions (default none). */
  pathExt?: string;
  /** Environment of the version commands. */
  env: Record<string, string | undefined>;
  /** Deadline per probe in ms. */
  timeoutMs: number;
  /** Logger for probes that failed or hung. */
  logger: Logger;
  /** Timers for the deadlines, passed on to `run` too (default `systemClock` from `@bosun/util`). */
  clock?: Clock;
}

// How long past its own deadline a runner may take to resolve before the probe stops waiting.
const OUTER_DEADLINE_SLACK_MS = 250;

/** A found tool plus the list it belongs to. */
export interface ProbedTool extends ToolInfo {
  /** Which list of `capabilities` it belongs to. */
  kind: ToolKind;
}

/**
 * Probes one tool: `undefined` when it is not on the PATH; found with
 * {@link UNKNOWN_VERSION} when its version command fails, hangs past the deadline
 * or prints nothing recognisable.
 */
export async function probeTool(spec: ToolSpec, ctx: ToolProbeContext): Promise<ProbedTool | undefined> {
  const path = await findExecutable(spec.command ?? spec.name, { path: ctx.path, pathExt: ctx.pathExt });
  if (!path) return undefined;
  const found = { name: spec.name, kind: spec.kind, path };
  // The runner has its own deadline; this outer one guards against a runner that ignores it.
  const outcome = await withDeadline(
    () => ctx.run(path, spec.args ?? ['--version'], { timeoutMs: ctx.timeoutMs, env: ctx.env, ...(ctx.clock ? { clock: ctx.clock } : {}) }),
    ctx.timeoutMs + OUTER_DEADLINE_SLACK_MS,
    ctx.clock,
  );
  if (!outcome.ok) {
    ctx.logger.warn({ tool: spec.name, path, reason: outcome.reason }, 'version probe failed');
    return { ...found, version: UNKNOWN_VERSION };
  }
  const result = outcome.value;
  if (result.timedOut || result.error) {
    ctx.logger.warn(
      { tool: spec.name, path, timedOut: result.timedOut, err: result.error?.message },
      'version probe failed',
    );
    return { ...found, version: UNKNOWN_VERSION };
  }
  let version: string | undefined;
  try {
    version = (spec.parse ?? parseVersion)(result.stdout, result.stderr);
  } catch (error) {
    ctx.logger.warn({ tool: spec.name, err: (error as Error).message }, 'version parser threw');
  }
  return { ...found, version: version ?? UNKNOWN_VERSION };
}

/**
 * Probes the specs concurrently, at most `concurrency` at a time (default 8: on a
 * small, busy host twenty version commands started at once starve each other past
 * their deadlines). Each probe's deadline starts when that probe starts. Absent
 * tools are left out; order follows `specs`.
 */
export async function probeTools(
  specs: readonly ToolSpec[],
  ctx: ToolProbeContext,
  concurrency = 8,
): Promise<ProbedTool[]> {
  const results: Array<ProbedTool | undefined> = new Array(specs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const i = next++;
      results[i] = await probeTool(specs[i] as ToolSpec, ctx);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, specs.length)) }, worker));
  return results.filter((tool): tool is ProbedTool => tool !== undefined);
}
