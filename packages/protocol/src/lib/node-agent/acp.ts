/**
 * Agent Client Protocol frames relayed to viewers over the node agent's WebSocket.
 * ACP payloads (session updates, tool calls) are carried as opaque JSON objects:
 * their schema belongs to ACP and the gateway validates them with the ACP SDK.
 */
import { z } from 'zod';
import { eventSchema, requestSchema, resultSchema } from '../envelope.js';
import { CountSchema, NameSchema, OpaqueObjectSchema, ResourceIdSchema } from '../fields.js';
import { NODE_AGENT_PROTOCOL_VERSION as V } from '../versions.js';

/** Agent → viewer: one ACP `session/update` notification, numbered per session from 0. */
export const AcpUpdateFrameSchema = eventSchema(V, 'acp.update', {
  sessionId: ResourceIdSchema,
  seq: CountSchema,
  update: OpaqueObjectSchema,
});
/** A {@link AcpUpdateFrameSchema} frame. */
export type AcpUpdateFrame = z.infer<typeof AcpUpdateFrameSchema>;

/** One choice offered by an ACP permission request. */
export const AcpPermissionOptionSchema = z.strictObject({
  optionId: z.string().min(1).max(128),
  name: NameSchema,
  kind: z.enum(['allow_once', 'allow_always', 'reject_once', 'reject_always']),
});
/** A {@link AcpPermissionOptionSchema} value. */
export type AcpPermissionOption = z.infer<typeof AcpPermissionOptionSchema>;

/** Agent → viewer: the agent asks permission for a tool call; answer with `acp.permission.response`. */
export const AcpPermissionRequestFrameSchema = requestSchema(V, 'acp.permission.request', {
  sessionId: ResourceIdSchema,
  toolCall: OpaqueObjectSchema,
  options: z.array(AcpPermissionOptionSchema).min(1).max(16),
});
/** A {@link AcpPermissionRequestFrameSchema} frame. */
export type AcpPermissionRequestFrame = z.infer<typeof AcpPermissionRequestFrameSchema>;

/** Outcome of a permission request: one option chosen, or cancelled. */
export const AcpPermissionOutcomeSchema = z.discriminatedUnion('outcome', [
  z.strictObject({ outcome: z.literal('selected'), optionId: z.string().min(1).max(128) }),
  z.strictObject({ outcome: z.literal('cancelled') }),
]);
/** A {@link AcpPermissionOutcomeSchema} value. */
export type AcpPermissionOutcome = z.infer<typeof AcpPermissionOutcomeSchema>;

/** Viewer → agent: the answer to `acp.permission.request`, echoing its `id`. */
export const AcpPermissionResponseFrameSchema = requestSchema(V, 'acp.permission.response', {
  sessionId: ResourceIdSchema,
  outcome: AcpPermissionOutcomeSchema,
});
/** A {@link AcpPermissionResponseFrameSchema} frame. */
export type AcpPermissionResponseFrame = z.infer<typeof AcpPermissionResponseFrameSchema>;

/**
 * Viewer → agent: resend the session's updates from `fromSeq` (default 0) as
 * `acp.update` frames, then `acp.replay.result`. Lets a late viewer catch up.
 */
export const AcpReplayFrameSchema = requestSchema(V, 'acp.replay', {
  sessionId: ResourceIdSchema,
  fromSeq: CountSchema.optional(),
});
/** A {@link AcpReplayFrameSchema} frame. */
export type AcpReplayFrame = z.infer<typeof AcpReplayFrameSchema>;

/** Agent → viewer: replay done; live updates continue after `nextSeq - 1`. */
export const AcpReplayResultFrameSchema = resultSchema(V, 'acp.replay', {
  sessionId: ResourceIdSchema,
  /** Seq of the first update that was not replayed (the next live one). */
  nextSeq: CountSchema,
  /** True when updates before `fromSeq` had been dropped from the replay buffer. */
  truncated: z.boolean(),
});
/** A {@link AcpReplayResultFrameSchema} frame. */
export type AcpReplayResultFrame = z.infer<typeof AcpReplayResultFrameSchema>;
