/** Commands run inside a container: foreground exec, and background exec with kill and capture. */
import { z } from 'zod';
import { requestSchema, resultSchema } from '../envelope.js';
import { AbsolutePathSchema, ArgvSchema, CountSchema, DurationMsSchema, EnvSchema, ResourceIdSchema } from '../fields.js';
import { WORKER_PROTOCOL_VERSION as V } from '../versions.js';

/** Signal name sent to a process, e.g. `SIGTERM`. */
export const SignalSchema = z.string().regex(/^SIG[A-Z0-9]{2,10}$/, 'expected a signal name like SIGTERM');
/** A {@link SignalSchema} value. */
export type Signal = z.infer<typeof SignalSchema>;

/** What a command run in a container names, foreground or background. */
const execCommandShape = {
  tenant: ResourceIdSchema,
  containerId: ResourceIdSchema,
  cmd: ArgvSchema,
  env: EnvSchema.optional(),
  /** Default: the container's working directory. */
  workingDir: AbsolutePathSchema.optional(),
};

/** Run a command to completion and return its output (capped by the worker's output limit). */
export const ContainerExecSchema = requestSchema(V, 'container.exec', {
  ...execCommandShape,
  /** Kill the command after this long (default: the worker's exec timeout). */
  timeoutMs: DurationMsSchema.optional(),
});
/** A {@link ContainerExecSchema} message. */
export type ContainerExec = z.infer<typeof ContainerExecSchema>;

/** Reply to `container.exec`. Output is decoded as UTF-8 (invalid bytes replaced). */
export const ContainerExecResultSchema = resultSchema(V, 'container.exec', {
  /** Exit status; null when the process was killed (timeout or signal). */
  exitCode: z.int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  timedOut: z.boolean(),
  /** True when output was cut at the worker's cap (default false). */
  truncated: z.boolean().optional(),
});
/** A {@link ContainerExecResultSchema} message. */
export type ContainerExecResult = z.infer<typeof ContainerExecResultSchema>;

/** Start a command in the background; poll it with `container.exec.background.capture`. */
export const ContainerExecBackgroundSchema = requestSchema(V, 'container.exec.background', {
  ...execCommandShape,
  /** Kill the command after this long (default: never). */
  timeoutMs: DurationMsSchema.optional(),
});
/** A {@link ContainerExecBackgroundSchema} message. */
export type ContainerExecBackground = z.infer<typeof ContainerExecBackgroundSchema>;

/** Reply to `container.exec.background`. */
export const ContainerExecBackgroundResultSchema = resultSchema(V, 'container.exec.background', {
  execId: ResourceIdSchema,
});
/** A {@link ContainerExecBackgroundResultSchema} message. */
export type ContainerExecBackgroundResult = z.infer<typeof ContainerExecBackgroundResultSchema>;

/** Signal a background command. */
export const ContainerExecBackgroundKillSchema = requestSchema(V, 'container.exec.background.kill', {
  tenant: ResourceIdSchema,
  containerId: ResourceIdSchema,
  execId: ResourceIdSchema,
  /** Default `SIGTERM`. */
  signal: SignalSchema.optional(),
});
/** A {@link ContainerExecBackgroundKillSchema} message. */
export type ContainerExecBackgroundKill = z.infer<typeof ContainerExecBackgroundKillSchema>;

/** Reply to `container.exec.background.kill`. */
export const ContainerExecBackgroundKillResultSchema = resultSchema(V, 'container.exec.background.kill', {
  execId: ResourceIdSchema,
  /** False when the command had already exited. */
  killed: z.boolean(),
});
/** A {@link ContainerExecBackgroundKillResultSchema} message. */
export type ContainerExecBackgroundKillResult = z.infer<typeof ContainerExecBackgroundKillResultSchema>;

/** Read a background command's output so far. */
export const ContainerExecBackgroundCaptureSchema = requestSchema(V, 'container.exec.background.capture', {
  tenant: ResourceIdSchema,
  containerId: ResourceIdSchema,
  execId: ResourceIdSchema,
  /** Return at most the last this many bytes (default: the worker's output cap). */
  maxBytes: CountSchema.optional(),
});
/** A {@link ContainerExecBackgroundCaptureSchema} message. */
export type ContainerExecBackgroundCapture = z.infer<typeof ContainerExecBackgroundCaptureSchema>;

/** Reply to `container.exec.background.capture`: combined stdout and stderr so far. */
export const ContainerExecBackgroundCaptureResultSchema = resultSchema(V, 'container.exec.background.capture', {
  execId: ResourceIdSchema,
  output: z.string(),
  running: z.boolean(),
  /** Set once the command has exited; null when it was killed by a signal. */
  exitCode: z.int().nullable().optional(),
});
/** A {@link ContainerExecBackgroundCaptureResultSchema} message. */
export type ContainerExecBackgroundCaptureResult = z.infer<typeof ContainerExecBackgroundCaptureResultSchema>;
