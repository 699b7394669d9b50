/**
 * The viewer protocol: every frame on a terminal viewer's WebSocket (the hub's
 * `/ws/terminal`, later the node agent's terminal tabs and `bosun attach`).
 *
 * ```
 * text frames   JSON control messages, `{ v, type, ...fields }`, schemas below
 * binary frames raw terminal bytes, no header:
 *   hub → viewer  output, contiguous from the offset the viewer was last told
 *                 (`terminal`, `attached`, `snapshot` or `resync` carry it)
 *   viewer → hub  keystrokes / paste, any size up to the socket's limit; the hub
 *                 splits them into frames of at most MAX_TERMINAL_INPUT_FRAME_BYTES
 * ```
 *
 * A viewer counts output bytes from the last offset it was told; it only ever moves
 * forward through an explicit `snapshot` (its offset left the worker's buffer) and
 * back through `resync` (the worker's stream began again after a re-adoption).
 */
import { z } from 'zod';
import { errorSchema, eventSchema } from '../envelope.js';
import { CellsSchema, DetailSchema, OffsetSchema, ResourceIdSchema } from '../fields.js';
import { defineProtocol } from '../protocol.js';
import { VIEWER_PROTOCOL_VERSION as V } from '../versions.js';

/** Largest `data` of one text `input` frame, in UTF-16 units: 1 MiB (paste bigger text as binary). */
export const VIEWER_MAX_TEXT_INPUT_CHARS = 1024 * 1024;

/** Viewer → hub: text typed or pasted (UTF-8 on the way to the terminal). Binary frames carry the same, raw. */
export const ViewerInputSchema = eventSchema(V, 'input', { data: z.string().max(VIEWER_MAX_TEXT_INPUT_CHARS) });
/** A {@link ViewerInputSchema} message. */
export type ViewerInput = z.infer<typeof ViewerInputSchema>;

/** Viewer → hub: the viewer's window changed size. */
export const ViewerResizeSchema = eventSchema(V, 'resize', { cols: CellsSchema, rows: CellsSchema });
/** A {@link ViewerResizeSchema} message. */
export type ViewerResize = z.infer<typeof ViewerResizeSchema>;

/** Hub → viewer, first frame: which terminal this socket shows and the offset output counts from. */
export const ViewerTerminalSchema = eventSchema(V, 'terminal', { terminalId: ResourceIdSchema, offset: OffsetSchema });
/** A {@link ViewerTerminalSchema} message. */
export type ViewerTerminal = z.infer<typeof ViewerTerminalSchema>;

/** Hub → viewer: the worker attached; output follows from `offset`. Input is accepted from now on. */
export const ViewerAttachedSchema = eventSchema(V, 'attached', { terminalId: ResourceIdSchema, offset: OffsetSchema });
/** A {@link ViewerAttachedSchema} message. */
export type ViewerAttached = z.infer<typeof ViewerAttachedSchema>;

/**
 * Hub → viewer: the viewer's offset had left the worker's buffer; `data` is the current
 * screen (ANSI text) and output continues from `offset`. The only way a viewer skips ahead.
 */
export const ViewerSnapshotSchema = eventSchema(V, 'snapshot', { offset: OffsetSchema, data: z.string() });
/** A {@link ViewerSnapshotSchema} message. */
export type ViewerSnapshot = z.infer<typeof ViewerSnapshotSchema>;

/**
 * Hub → viewer: the worker's stream for this terminal began again below the viewer's
 * offset (a terminal re-adopted after a worker restart); output continues from `offset`.
 */
export const ViewerResyncSchema = eventSchema(V, 'resync', { offset: OffsetSchema, reason: DetailSchema.optional() });
/** A {@link ViewerResyncSchema} message. */
export type ViewerResync = z.infer<typeof ViewerResyncSchema>;

/** Hub → viewer: the terminal's process ended (`exitCode` null when killed by a signal). */
export const ViewerExitSchema = eventSchema(V, 'exit', {
  exitCode: z.int().nullable(),
  signal: z.string().regex(/^SIG[A-Z0-9]{2,10}$/).optional(),
});
/** A {@link ViewerExitSchema} message. */
export type ViewerExit = z.infer<typeof ViewerExitSchema>;

/** Hub → viewer: the worker is not reachable now; the hub reattaches when it is back. */
export const ViewerWaitingSchema = eventSchema(V, 'waiting', { reason: DetailSchema });
/** A {@link ViewerWaitingSchema} message. */
export type ViewerWaiting = z.infer<typeof ViewerWaitingSchema>;

/**
 * Hub → viewer, last frame before a close by the hub: why (`slow_consumer`: the viewer
 * fell more than the hub's buffer behind; `revoked`: the worker's credentials were
 * revoked) and the offset to reconnect at for a lossless resume.
 */
export const ViewerDroppedSchema = eventSchema(V, 'dropped', {
  code: z.enum(['slow_consumer', 'revoked']),
  offset: OffsetSchema,
  message: DetailSchema,
});
/** A {@link ViewerDroppedSchema} message. */
export type ViewerDropped = z.infer<typeof ViewerDroppedSchema>;

/** Either way: a typed error (`code` from the error registry). */
export const ViewerErrorSchema = errorSchema(V);
/** A {@link ViewerErrorSchema} message. */
export type ViewerError = z.infer<typeof ViewerErrorSchema>;

/** Viewer → hub. */
export const ViewerToHubMessageSchema = z.discriminatedUnion('type', [ViewerInputSchema, ViewerResizeSchema]);
/** Any control message a viewer sends. */
export type ViewerToHubMessage = z.infer<typeof ViewerToHubMessageSchema>;

/** Hub → viewer. */
export const HubToViewerMessageSchema = z.discriminatedUnion('type', [
  ViewerTerminalSchema,
  ViewerAttachedSchema,
  ViewerSnapshotSchema,
  ViewerResyncSchema,
  ViewerExitSchema,
  ViewerWaitingSchema,
  ViewerDroppedSchema,
  ViewerErrorSchema,
]);
/** Any control message the hub sends a viewer. */
export type HubToViewerMessage = z.infer<typeof HubToViewerMessageSchema>;

/** A hub → viewer message as built by the hub, before `v` is added. */
export type HubToViewerBody = HubToViewerMessage extends infer M ? (M extends { v: number } ? Omit<M, 'v'> : never) : never;

/** The viewer protocol. Directions: `toHub` (what a viewer sends) and `toViewer`. */
export const viewerProtocol = defineProtocol({
  name: 'viewer',
  directions: {
    toHub: ViewerToHubMessageSchema,
    toViewer: HubToViewerMessageSchema,
  },
});

/**
 * WebSocket close codes of a viewer socket, with the reason text sent along.
 * 1008/1009/1011 are the standard ones; 4xxx are the viewer protocol's own.
 */
export const VIEWER_CLOSE = Object.freeze({
  /** The query was malformed (bad worker, tenant, offset…). */
  badRequest: { code: 1008, reason: 'bad request' },
  /** A frame was larger than the socket's limit. */
  tooLarge: { code: 1009, reason: 'too large' },
  /** Opening the terminal failed on the worker for another reason. */
  openFailed: { code: 1011, reason: 'open failed' },
  /** The worker refused the attach (`not_found`, `forbidden`: another tenant's terminal looks missing). */
  refused: { code: 4004, reason: 'attach refused' },
  /** The viewer fell more than the hub's per-viewer buffer behind. */
  slowViewer: { code: 4008, reason: 'slow viewer' },
  /** The worker's credentials were revoked. */
  revoked: { code: 4001, reason: 'revoked' },
} as const);
