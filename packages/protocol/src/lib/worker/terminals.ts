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

/**
 * Open a terminal, or reattach to `terminalId` from `fromOffset`. Without
 * `containerId` the worker decides (usually refuses) whether a host shell is allowed.
 */
export const TerminalOpenSchema = requestSchema(V, 'terminal.open', {
  tenant: ResourceIdSchema,
  containerId: ResourceIdSchema.optional(),
  /** Reattach to this existing terminal instead of opening a new one. */
  terminalId: ResourceIdSchema.optional(),
  /** Default: the container's login shell. */
  cmd: ArgvSchema.optional(),
  cols: CellsSchema,
  rows: CellsSchema,
  name: NameSchema.optional(),
  env: EnvSchema.optional(),
  workingDir: AbsolutePathSchema.optional(),
  /** Send output after this offset (default: from the live end, no replay). */
  fromOffset: OffsetSchema.optional(),
});
/** A {@link TerminalOpenSchema} message. */
export type TerminalOpen = z.infer<typeof TerminalOpenSchema>;

/** Reply to `terminal.open`: output frames follow from `offset`. */
export const TerminalOpenResultSchema = resultSchema(V, 'terminal.open', {
  terminalId: ResourceIdSchema,
  offset: OffsetSchema,
});
/** A {@link TerminalOpenResultSchema} message. */
export type TerminalOpenResult = z.infer<typeof TerminalOpenResultSchema>;

/**
 * Write text to a terminal. Acknowledged by `terminal.input.result`; for keystrokes
 * prefer the binary input frame, which has no reply.
 */
export const TerminalInputSchema = requestSchema(V, 'terminal.input', {
  /** Owner of the terminal: checked on every operation, another tenant's terminal is `not_found`. */
  tenant: ResourceIdSchema,
  terminalId: ResourceIdSchema,
  /** UTF-8 text (at most 64 KiB characters). */
  data: z.string().max(65_536),
});
/** A {@link TerminalInputSchema} message. */
export type TerminalInput = z.infer<typeof TerminalInputSchema>;

/** Reply to `terminal.input`. */
export const TerminalInputResultSchema = resultSchema(V, 'terminal.input', { terminalId: ResourceIdSchema });
/** A {@link TerminalInputResultSchema} message. */
export type TerminalInputResult = z.infer<typeof TerminalInputResultSchema>;

/** Resize a terminal. */
export const TerminalResizeSchema = requestSchema(V, 'terminal.resize', {
  /** Owner of the terminal: checked on every operation, another tenant's terminal is `not_found`. */
  tenant: ResourceIdSchema,
  terminalId: ResourceIdSchema,
  cols: CellsSchema,
  rows: CellsSchema,
});
/** A {@link TerminalResizeSchema} message. */
export type TerminalResize = z.infer<typeof TerminalResizeSchema>;

/** Reply to `terminal.resize`. */
export const TerminalResizeResultSchema = resultSchema(V, 'terminal.resize', {
  terminalId: ResourceIdSchema,
  cols: CellsSchema,
  rows: CellsSchema,
});
/** A {@link TerminalResizeResultSchema} message. */
export type TerminalResizeResult = z.infer<typeof TerminalResizeResultSchema>;

/** Close a terminal (kills its process). `terminal.exit` follows. */
export const TerminalCloseSchema = requestSchema(V, 'terminal.close', {
  /** Owner of the terminal: checked on every operation, another tenant's terminal is `not_found`. */
  tenant: ResourceIdSchema,
  terminalId: ResourceIdSchema,
  /** Default `SIGHUP`. */
  signal: SignalSchema.optional(),
});
/** A {@link TerminalCloseSchema} message. */
export type TerminalClose = z.infer<typeof TerminalCloseSchema>;

/** Reply to `terminal.close`. */
export const TerminalCloseResultSchema = resultSchema(V, 'terminal.close', { terminalId: ResourceIdSchema });
/** A {@link TerminalCloseResultSchema} message. */
export type TerminalCloseResult = z.infer<typeof TerminalCloseResultSchema>;

/** Worker → orchestrator: a terminal's process ended. */
export const TerminalExitSchema = eventSchema(V, 'terminal.exit', {
  terminalId: ResourceIdSchema,
  /** Null when killed by a signal. */
  exitCode: z.int().nullable(),
  signal: SignalSchema.optional(),
});
/** A {@link TerminalExitSchema} message. */
export type TerminalExit = z.infer<typeof TerminalExitSchema>;

/**
 * Worker → orchestrator: the requested offset had left the ring buffer, so here is
 * the current screen (ANSI text) instead; output frames resume from `offset`.
 */
export const TerminalSnapshotSchema = eventSchema(V, 'terminal.snapshot', {
  terminalId: ResourceIdSchema,
  offset: OffsetSchema,
  data: z.string(),
});
/** A {@link TerminalSnapshotSchema} message. */
export type TerminalSnapshot = z.infer<typeof TerminalSnapshotSchema>;
