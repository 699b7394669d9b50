/** Commands run inside a container: foreground exec, and background exec with kill and capture. */
import { z } from 'zod';
import { requestSchema, resultSchema } from '../envelope.js';
import { AbsolutePathSchema, ArgvSchema, CountSchema, DurationMsSchema, EnvSchema, ResourceIdSchema } from '../fields.js';
import { WORKER_PROTOCOL_VERSION as V } from '../versions.js';
import { ContainerRefField, ContainerTenantField, ExecIdResultField, ExecRefField } from './field-docs.js';

/** Signal name sent to a process, e.g. `SIGTERM`. */
export const SignalSchema = z.string().regex(/^SIG[A-Z0-9]{2,10}$/, 'expected a signal name like SIGTERM');
/** A {@link SignalSchema} value. */
export type Signal = z.infer<typeof SignalSchema>;

/** What a command run in a container names, foreground or background. */
const execCommandShape = {
  tenant: ContainerTenantField,
  containerId: ContainerRefField.describe('Container to run the command in (running): the `containerId` returned by `container.create`, or its `name`.'),
  /** Command as argv; no shell unless argv names one (e.g. `["sh", "-c", "…"]`). */
  cmd: ArgvSchema.describe('Command as argv, e.g. `["ls", "-la"]`; no shell is involved unless argv names one (`["sh", "-c", "…"]`).'),
  /** Environment variables added to the container's (default none). */
  env: EnvSchema.describe("Environment variables added to the container's (default none).").optional(),
  /** Default: the container's working directory. */
  workingDir: AbsolutePathSchema.describe("Working directory inside the container (default: the container's).").optional(),
};

/** Run a command to completion and return its output (capped by the worker's output limit). */
export const ContainerExecSchema = requestSchema(V, 'container.exec', {
  ...execCommandShape,
  /** Kill the command after this long, in ms (default: the worker's exec timeout, 300 000 ms = 5 min). */
  timeoutMs: DurationMsSchema.describe(
    "Milliseconds before the command is killed and reported with `timedOut: true` (default: the worker's exec timeout, 300000 = 5 min).",
  ).optional(),
});
/** A {@link ContainerExecSchema} message. */
export type ContainerExec = z.infer<typeof ContainerExecSchema>;

/** Reply to `container.exec`. Output is decoded as UTF-8 (invalid bytes replaced). */
export const ContainerExecResultSchema = resultSchema(V, 'container.exec', {
  /** Exit status; null when the process was killed (timeout or signal). */
  exitCode: z.int().nullable().describe('Exit status; null when the process was killed (timeout or signal).'),
  /** Standard output as UTF-8 (invalid bytes replaced), at most the worker's output cap (1 MiB by default). */
  stdout: z.string().describe("Standard output as UTF-8 (invalid bytes replaced), at most the worker's output cap (1 MiB by default)."),
  /** Standard error as UTF-8 (invalid bytes replaced), at most the worker's output cap (1 MiB by default). */
  stderr: z.string().describe("Standard error as UTF-8 (invalid bytes replaced), at most the worker's output cap (1 MiB by default)."),
  /** True when the command outlived `timeoutMs` and was killed. */
  timedOut: z.boolean().describe('True when the command outlived `timeoutMs` and was killed.'),
  /** True when output was cut at the worker's cap (default false). */
  truncated: z.boolean().describe("True when output was cut at the worker's cap (absent means false).").optional(),
});
/** A {@link ContainerExecResultSchema} message. */
export type ContainerExecResult = z.infer<typeof ContainerExecResultSchema>;

/** Start a command in the background; poll it with `container.exec.background.capture`. */
export const ContainerExecBackgroundSchema = requestSchema(V, 'container.exec.background', {
  ...execCommandShape,
  /** Kill the command (SIGKILL) after this long, in ms (default: never). */
  timeoutMs: DurationMsSchema.describe('Milliseconds before the command is sent SIGKILL (default: never; it runs until it ends or is killed).').optional(),
});
/** A {@link ContainerExecBackgroundSchema} message. */
export type ContainerExecBackground = z.infer<typeof ContainerExecBackgroundSchema>;

/** Reply to `container.exec.background`. */
export const ContainerExecBackgroundResultSchema = resultSchema(V, 'container.exec.background', {
  execId: ResourceIdSchema.describe('Id of the background command: pass it as `execId` to `container.exec.background.kill` and `.capture`.'),
});
/** A {@link ContainerExecBackgroundResultSchema} message. */
export type ContainerExecBackgroundResult = z.infer<typeof ContainerExecBackgroundResultSchema>;

/** Signal a background command. */
export const ContainerExecBackgroundKillSchema = requestSchema(V, 'container.exec.background.kill', {
  tenant: ContainerTenantField,
  containerId: ContainerRefField,
  execId: ExecRefField,
  /** Default `SIGTERM`. */
  signal: SignalSchema.describe('Signal to send, e.g. `SIGKILL` (default `SIGTERM`).').optional(),
});
/** A {@link ContainerExecBackgroundKillSchema} message. */
export type ContainerExecBackgroundKill = z.infer<typeof ContainerExecBackgroundKillSchema>;

/** Reply to `container.exec.background.kill`. */
export const ContainerExecBackgroundKillResultSchema = resultSchema(V, 'container.exec.background.kill', {
  execId: ExecIdResultField,
  /** False when the command had already exited. */
  killed: z.boolean().describe('True when the signal was sent, false when the command had already exited.'),
});
/** A {@link ContainerExecBackgroundKillResultSchema} message. */
export type ContainerExecBackgroundKillResult = z.infer<typeof ContainerExecBackgroundKillResultSchema>;

/** Read a background command's output so far. */
export const ContainerExecBackgroundCaptureSchema = requestSchema(V, 'container.exec.background.capture', {
  tenant: ContainerTenantField,
  containerId: ContainerRefField,
  execId: ExecRefField,
  /** Return at most the last this many bytes (default: all that is kept, up to the worker's output cap per stream). */
  maxBytes: CountSchema.describe("Return at most the last this many bytes (default: all that is kept, up to the worker's output cap of 1 MiB per stream).").optional(),
});
/** A {@link ContainerExecBackgroundCaptureSchema} message. */
export type ContainerExecBackgroundCapture = z.infer<typeof ContainerExecBackgroundCaptureSchema>;

/** Reply to `container.exec.background.capture`: stdout then stderr, so far. */
export const ContainerExecBackgroundCaptureResultSchema = resultSchema(V, 'container.exec.background.capture', {
  execId: ExecIdResultField,
  /** Output so far as UTF-8: stdout, then stderr (not interleaved). */
  output: z.string().describe('Output so far as UTF-8 (invalid bytes replaced): stdout, then stderr, not interleaved.'),
  /** True while the command runs. */
  running: z.boolean().describe('True while the command runs.'),
  /** Set once the command has exited; null when it was killed by a signal. */
  exitCode: z.int().nullable().describe('Exit status, set once the command has exited; null when it was killed by a signal.').optional(),
});
/** A {@link ContainerExecBackgroundCaptureResultSchema} message. */
export type ContainerExecBackgroundCaptureResult = z.infer<typeof ContainerExecBackgroundCaptureResultSchema>;
