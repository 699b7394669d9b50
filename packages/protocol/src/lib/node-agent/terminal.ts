/**
 * Terminal WebSocket control frames (JSON text frames). Data goes in binary frames:
 *
 * - single-session socket (`/terminal/ws`): raw PTY bytes both ways, no header;
 * - multi-session socket (`/terminal/ws/multi`): the terminal frame codec of
 *   `terminal-frame.ts` (protocol `node-agent`), with the session id as frame id:
 *   output frames (agent → viewer) carry the offset, input frames are keystrokes.
 *
 * On a multi-session socket every control frame names its `sessionId`; on a
 * single-session socket it may be left out.
 */
import { z } from 'zod';
import { eventSchema, optionalIdSchema } from '../envelope.js';
import { CellsSchema, NameSchema, OffsetSchema, ResourceIdSchema, TimestampSchema } from '../fields.js';
import { NODE_AGENT_PROTOCOL_VERSION as V } from '../versions.js';

/** Viewer → agent: resize the session's PTY. */
export const TerminalResizeFrameSchema = eventSchema(V, 'resize', {
  sessionId: ResourceIdSchema.optional(),
  cols: CellsSchema,
  rows: CellsSchema,
});
/** A {@link TerminalResizeFrameSchema} frame. */
export type TerminalResizeFrame = z.infer<typeof TerminalResizeFrameSchema>;

/**
 * Viewer → agent: start receiving a session's output after `fromOffset` (default:
 * the live end). Answered by `attached`.
 */
export const TerminalAttachFrameSchema = optionalIdSchema(V, 'attach', {
  sessionId: ResourceIdSchema,
  fromOffset: OffsetSchema.optional(),
  /** Attach without write access (default false). */
  readOnly: z.boolean().optional(),
});
/** A {@link TerminalAttachFrameSchema} frame. */
export type TerminalAttachFrame = z.infer<typeof TerminalAttachFrameSchema>;

/**
 * Agent → viewer: attached; output frames follow from `offset`. `snapshot` is true
 * when the requested offset had left the buffer and a screen snapshot was sent
 * first instead of the missing bytes.
 */
export const TerminalAttachedFrameSchema = optionalIdSchema(V, 'attached', {
  sessionId: ResourceIdSchema,
  offset: OffsetSchema,
  snapshot: z.boolean(),
});
/** A {@link TerminalAttachedFrameSchema} frame. */
export type TerminalAttachedFrame = z.infer<typeof TerminalAttachedFrameSchema>;

/** Viewer → agent: stop receiving a session's output (the session keeps running). */
export const TerminalDetachFrameSchema = eventSchema(V, 'detach', { sessionId: ResourceIdSchema });
/** A {@link TerminalDetachFrameSchema} frame. */
export type TerminalDetachFrame = z.infer<typeof TerminalDetachFrameSchema>;

/** Viewer → agent: output up to `offset` has been received (flow control). */
export const TerminalAckFrameSchema = eventSchema(V, 'ack', {
  sessionId: ResourceIdSchema.optional(),
  offset: OffsetSchema,
});
/** A {@link TerminalAckFrameSchema} frame. */
export type TerminalAckFrame = z.infer<typeof TerminalAckFrameSchema>;

/** Agent → viewer: the session's process ended; `code` is null when killed by a signal. */
export const TerminalExitFrameSchema = eventSchema(V, 'exit', {
  sessionId: ResourceIdSchema.optional(),
  code: z.int().nullable(),
  signal: z.string().regex(/^SIG[A-Z0-9]{2,10}$/).optional(),
});
/** A {@link TerminalExitFrameSchema} frame. */
export type TerminalExitFrame = z.infer<typeof TerminalExitFrameSchema>;

/** One terminal tab (session) of a workspace. */
export const TabSchema = z.strictObject({
  id: ResourceIdSchema,
  name: NameSchema,
  createdAt: TimestampSchema,
  lastActivityAt: TimestampSchema,
  cols: CellsSchema,
  rows: CellsSchema,
  /** False once the process has exited (the tab stays until closed). */
  alive: z.boolean(),
});
/** A {@link TabSchema} value. */
export type Tab = z.infer<typeof TabSchema>;

/** Agent → viewer: the current tab list, pushed on attach and on every change. */
export const TabsFrameSchema = eventSchema(V, 'tabs', { tabs: z.array(TabSchema).max(1000) });
/** A {@link TabsFrameSchema} frame. */
export type TabsFrame = z.infer<typeof TabsFrameSchema>;

/** Body of `GET /terminals`: the tab list. */
export const TabListBodySchema = z.strictObject({ tabs: z.array(TabSchema).max(1000) });
/** A {@link TabListBodySchema} body. */
export type TabListBody = z.infer<typeof TabListBodySchema>;

/*
 * Multi-session socket (`/terminal/ws/multi`) control frames. Requests may carry an
 * `id`, echoed by their reply (and by an `error` answering them).
 */

/** Signals a viewer may end a session with. */
export const TerminalCloseSignalSchema = z.enum(['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGKILL']);

/**
 * Viewer → agent: open a new session in the token's workspace and attach this socket
 * to it from offset 0. Answered by `created`. `cols`/`rows` default to 80 × 24; `name`
 * to the program's base name.
 */
export const TerminalCreateFrameSchema = optionalIdSchema(V, 'create', {
  cols: CellsSchema.optional(),
  rows: CellsSchema.optional(),
  name: NameSchema.optional(),
});
/** A {@link TerminalCreateFrameSchema} frame. */
export type TerminalCreateFrame = z.infer<typeof TerminalCreateFrameSchema>;

/** Agent → viewer: the session `create` opened; output frames follow from `offset`. */
export const TerminalCreatedFrameSchema = optionalIdSchema(V, 'created', {
  sessionId: ResourceIdSchema,
  offset: OffsetSchema,
  name: NameSchema,
});
/** A {@link TerminalCreatedFrameSchema} frame. */
export type TerminalCreatedFrame = z.infer<typeof TerminalCreatedFrameSchema>;

/**
 * Viewer → agent: end a session (its process gets `signal`, default SIGHUP, then
 * SIGKILL after a grace). Attached viewers get `exit`; the requester gets `closed`.
 */
export const TerminalCloseFrameSchema = optionalIdSchema(V, 'close', {
  sessionId: ResourceIdSchema,
  signal: TerminalCloseSignalSchema.optional(),
});
/** A {@link TerminalCloseFrameSchema} frame. */
export type TerminalCloseFrame = z.infer<typeof TerminalCloseFrameSchema>;

/** Agent → viewer: the session is closed and gone from the tab list. */
export const TerminalClosedFrameSchema = optionalIdSchema(V, 'closed', { sessionId: ResourceIdSchema });
/** A {@link TerminalClosedFrameSchema} frame. */
export type TerminalClosedFrame = z.infer<typeof TerminalClosedFrameSchema>;

/** Viewer → agent: give a session a new display name. Answered by `renamed`. */
export const TerminalRenameFrameSchema = optionalIdSchema(V, 'rename', { sessionId: ResourceIdSchema, name: NameSchema });
/** A {@link TerminalRenameFrameSchema} frame. */
export type TerminalRenameFrame = z.infer<typeof TerminalRenameFrameSchema>;

/** Agent → viewer: the session's name is now `name`. */
export const TerminalRenamedFrameSchema = optionalIdSchema(V, 'renamed', { sessionId: ResourceIdSchema, name: NameSchema });
/** A {@link TerminalRenamedFrameSchema} frame. */
export type TerminalRenamedFrame = z.infer<typeof TerminalRenamedFrameSchema>;

/** Viewer → agent: ask for the workspace's sessions. Answered by `tabs` (which has no `id`). */
export const TerminalListFrameSchema = eventSchema(V, 'list', {});
/** A {@link TerminalListFrameSchema} frame. */
export type TerminalListFrame = z.infer<typeof TerminalListFrameSchema>;
