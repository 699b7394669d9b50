/**
 * Terminal commands and events. Output bytes never travel in JSON: they come as
 * binary frames (see `terminal-frame.ts`), addressed by byte offset.
 */
import { z } from 'zod';
import { eventSchema, requestSchema, resultSchema } from '../envelope.js';
import {
  AbsolutePathSchema,
  ArgvSchema,
  CellsSchema,
  EnvSchema,
  NameSchema,
  OffsetSchema,
  ResourceIdSchema,
} from '../fields.js';
import { WORKER_PROTOCOL_VERSION as V } from '../versions.js';
import { SignalSchema } from './exec.js';
import { TerminalIdResultField, TerminalRefField, TerminalTenantField } from './field-docs.js';

/**
 * Open a terminal, or reattach to `terminalId` from `fromOffset`. Without
 * `containerId` the worker decides (usually refuses) whether a host shell is allowed.
 */
export const TerminalOpenSchema = requestSchema(V, 'terminal.open', {
  /** Owner of the terminal; every later command on it must name the same tenant. */
  tenant: ResourceIdSchema.describe("Owner of the terminal: every later command on it must name the same tenant; another tenant's terminal answers `not_found`."),
  /** Container (of the same tenant, running) to open the terminal in; absent asks for a host shell, refused unless the worker allows it. */
  containerId: ResourceIdSchema.describe(
    'Container of the same tenant (running) to open the terminal in (default: none, a shell on the worker host, refused unless the worker allows host shells).',
  ).optional(),
  /** Reattach to this existing terminal instead of opening a new one (the fields that shape a new terminal are then ignored). */
  terminalId: ResourceIdSchema.describe(
    'Reattach to this existing terminal of the tenant instead of opening a new one (default: open a new one); `cmd`, `env`, `workingDir`, `name` and the size are then ignored.',
  ).optional(),
  /** Default `/bin/sh`. */
  cmd: ArgvSchema.describe('Program and arguments to run in the terminal (default `["/bin/sh"]`).').optional(),
  /** Width in columns (the worker clamps it to 2–1000). */
  cols: CellsSchema.describe('Width in columns, 1 to 1000 (the worker clamps it to at least 2).'),
  /** Height in rows (the worker clamps it to 1–500). */
  rows: CellsSchema.describe('Height in rows, 1 to 1000 (the worker clamps it to at most 500).'),
  /** Display name, never used for access (default: the program's base name). */
  name: NameSchema.describe("Display name, never used for access (default: the program's base name, e.g. `sh`).").optional(),
  /** Environment variables added to the container's (default none); the `BOSUN_*` markers always win. */
  env: EnvSchema.describe("Environment variables added to the container's (default none); the worker's `BOSUN_TERMINAL`, `BOSUN_RUN` and `BOSUN_AGENT` markers win.").optional(),
  /** Default: the container's working directory. */
  workingDir: AbsolutePathSchema.describe("Working directory inside the container (default: the container's).").optional(),
  /** Send output after this byte offset (default: 0 for a new terminal, the live end, with no replay, on reattach). */
  fromOffset: OffsetSchema.describe(
    'Byte offset after which to send output (default: 0, all of it, for a new terminal; the live end, no replay, when reattaching); an offset no longer buffered gets a `terminal.snapshot`.',
  ).optional(),
});
/** A {@link TerminalOpenSchema} message. */
export type TerminalOpen = z.infer<typeof TerminalOpenSchema>;

/** Reply to `terminal.open`: output frames follow from `offset`. */
export const TerminalOpenResultSchema = resultSchema(V, 'terminal.open', {
  terminalId: ResourceIdSchema.describe('Id of the terminal opened or reattached: output frames carry it, later commands name it.'),
  /** Byte offset the output frames that follow start at. */
  offset: OffsetSchema.describe('Byte offset the output frames that follow start at.'),
});
/** A {@link TerminalOpenResultSchema} message. */
export type TerminalOpenResult = z.infer<typeof TerminalOpenResultSchema>;

/**
 * Write text to a terminal. Acknowledged by `terminal.input.result`; for keystrokes
 * prefer the binary input frame, which has no reply.
 */
export const TerminalInputSchema = requestSchema(V, 'terminal.input', {
  /** Owner of the terminal: checked on every operation, another tenant's terminal is `not_found`. */
  tenant: TerminalTenantField,
  terminalId: TerminalRefField,
  /** UTF-8 text (at most 64 KiB characters). */
  data: z.string().max(65_536).describe('Text to write to the terminal as UTF-8 (at most 64 KiB characters), e.g. `"ls\\n"`.'),
});
/** A {@link TerminalInputSchema} message. */
export type TerminalInput = z.infer<typeof TerminalInputSchema>;

/** Reply to `terminal.input`. */
export const TerminalInputResultSchema = resultSchema(V, 'terminal.input', { terminalId: TerminalIdResultField });
/** A {@link TerminalInputResultSchema} message. */
export type TerminalInputResult = z.infer<typeof TerminalInputResultSchema>;

/** Resize a terminal. */
export const TerminalResizeSchema = requestSchema(V, 'terminal.resize', {
  /** Owner of the terminal: checked on every operation, another tenant's terminal is `not_found`. */
  tenant: TerminalTenantField,
  terminalId: TerminalRefField,
  /** Width in columns (the worker clamps it to 2–1000). */
  cols: CellsSchema.describe('New width in columns, 1 to 1000 (the worker clamps it to at least 2).'),
  /** Height in rows (the worker clamps it to 1–500). */
  rows: CellsSchema.describe('New height in rows, 1 to 1000 (the worker clamps it to at most 500).'),
});
/** A {@link TerminalResizeSchema} message. */
export type TerminalResize = z.infer<typeof TerminalResizeSchema>;

/** Reply to `terminal.resize`. */
export const TerminalResizeResultSchema = resultSchema(V, 'terminal.resize', {
  terminalId: TerminalIdResultField,
  /** Width applied, after clamping. */
  cols: CellsSchema.describe('Width in columns applied, after clamping.'),
  /** Height applied, after clamping. */
  rows: CellsSchema.describe('Height in rows applied, after clamping.'),
});
/** A {@link TerminalResizeResultSchema} message. */
export type TerminalResizeResult = z.infer<typeof TerminalResizeResultSchema>;

/** Close a terminal (kills its process). `terminal.exit` follows. */
export const TerminalCloseSchema = requestSchema(V, 'terminal.close', {
  /** Owner of the terminal: checked on every operation, another tenant's terminal is `not_found`. */
  tenant: TerminalTenantField,
  terminalId: TerminalRefField,
  /** Default `SIGHUP`. */
  signal: SignalSchema.describe("Signal sent to the terminal's process tree, e.g. `SIGKILL` (default `SIGHUP`).").optional(),
});
/** A {@link TerminalCloseSchema} message. */
export type TerminalClose = z.infer<typeof TerminalCloseSchema>;

/** Reply to `terminal.close`. */
export const TerminalCloseResultSchema = resultSchema(V, 'terminal.close', { terminalId: TerminalIdResultField });
/** A {@link TerminalCloseResultSchema} message. */
export type TerminalCloseResult = z.infer<typeof TerminalCloseResultSchema>;

/** Worker → orchestrator: a terminal's process ended. */
export const TerminalExitSchema = eventSchema(V, 'terminal.exit', {
  terminalId: TerminalIdResultField,
  /** Null when killed by a signal. */
  exitCode: z.int().nullable().describe("Exit status of the terminal's process; null when it was killed by a signal."),
  /** The signal that ended it, when one did. */
  signal: SignalSchema.describe('The signal that ended the process, when one did.').optional(),
});
/** A {@link TerminalExitSchema} message. */
export type TerminalExit = z.infer<typeof TerminalExitSchema>;

/**
 * Worker → orchestrator: the requested offset had left the ring buffer, so here is
 * the current screen (ANSI text) instead; output frames resume from `offset`.
 */
export const TerminalSnapshotSchema = eventSchema(V, 'terminal.snapshot', {
  terminalId: TerminalIdResultField,
  /** Byte offset the output frames that follow resume from. */
  offset: OffsetSchema.describe('Byte offset the output frames that follow resume from.'),
  /** The current screen as ANSI text. */
  data: z.string().describe('The current screen as ANSI text, to draw before the frames that follow.'),
});
/** A {@link TerminalSnapshotSchema} message. */
export type TerminalSnapshot = z.infer<typeof TerminalSnapshotSchema>;
