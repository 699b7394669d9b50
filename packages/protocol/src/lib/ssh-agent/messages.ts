/**
 * The SSH agent protocol. Two subsystems, each a channel of newline-delimited JSON:
 *
 * - `rpc`: `rpc` requests answered by `rpc.result` or `error`, plus `status` events
 *   pushed by the agent;
 * - `attach`: one `attach.hello` → `attach.ready` handshake, after which the channel
 *   carries raw terminal bytes both ways (resize with SSH `window-change`, exit with
 *   SSH `exit-status`).
 */
import { z } from 'zod';
import { errorSchema, eventSchema, requestSchema, resultSchema } from '../envelope.js';
import { CellsSchema, CountSchema, DetailSchema, OffsetSchema, ResourceIdSchema, TimestampSchema } from '../fields.js';
import { defineProtocol } from '../protocol.js';
import { SSH_AGENT_PROTOCOL_VERSION as V } from '../versions.js';

/** RPC method name: `noun/verb` segments of lowercase letters, digits, `-` and `.`, e.g. `container/create`. */
export const RpcMethodSchema = z
  .string()
  .max(128)
  .regex(/^[a-z][a-z0-9.-]*(?:\/[a-z][a-z0-9.-]*)*$/, 'expected a method like container/create');
/** A {@link RpcMethodSchema} value. */
export type RpcMethod = z.infer<typeof RpcMethodSchema>;

/**
 * Client → agent: call `method`. `params` is validated by the method's handler (the
 * worker command schemas of this package, for container and terminal methods).
 */
export const RpcRequestSchema = requestSchema(V, 'rpc', {
  method: RpcMethodSchema,
  /** Default `{}`. */
  params: z.record(z.string(), z.unknown()).optional(),
});
/** A {@link RpcRequestSchema} message. */
export type RpcRequest = z.infer<typeof RpcRequestSchema>;

/** Agent → client: the method's result (any JSON value, `null` for none). Failures are `error` with the same `id`. */
export const RpcResultSchema = resultSchema(V, 'rpc', {
  result: z.unknown(),
});
/** A {@link RpcResultSchema} message. */
export type RpcResult = z.infer<typeof RpcResultSchema>;

/** Client → agent, first line on an `attach` channel. The agent checks `v` here. */
export const AttachHelloSchema = requestSchema(V, 'attach.hello', {
  sessionId: ResourceIdSchema,
  /** Replay output after this offset (default: the live end). */
  fromOffset: OffsetSchema.optional(),
  cols: CellsSchema,
  rows: CellsSchema,
  /** Input is dropped when true (default false). */
  readOnly: z.boolean().optional(),
});
/** A {@link AttachHelloSchema} message. */
export type AttachHello = z.infer<typeof AttachHelloSchema>;

/**
 * Agent → client: attached; raw bytes follow, starting at `offset`. `snapshot` is
 * true when the asked offset had left the buffer and the current screen comes first.
 */
export const AttachReadySchema = requestSchema(V, 'attach.ready', {
  offset: OffsetSchema,
  snapshot: z.boolean(),
});
/** A {@link AttachReadySchema} message. */
export type AttachReady = z.infer<typeof AttachReadySchema>;

/** State of the SSH agent's host. */
export const AgentStateSchema = z.enum(['starting', 'ready', 'degraded', 'draining', 'stopping']);
/** A {@link AgentStateSchema} value. */
export type AgentState = z.infer<typeof AgentStateSchema>;

/** Agent → client on the `rpc` channel: state changed (and periodically). */
export const StatusEventSchema = eventSchema(V, 'status', {
  state: AgentStateSchema,
  /** Number of running managed containers. */
  containers: CountSchema.optional(),
  detail: DetailSchema.optional(),
  ts: TimestampSchema,
});
/** A {@link StatusEventSchema} message. */
export type StatusEvent = z.infer<typeof StatusEventSchema>;

/** The SSH agent protocol's error message. */
export const SshAgentErrorSchema = errorSchema(V);
/** A {@link SshAgentErrorSchema} message. */
export type SshAgentError = z.infer<typeof SshAgentErrorSchema>;

/** Client → SSH agent. */
export const ClientToSshAgentMessageSchema = z.discriminatedUnion('type', [
  RpcRequestSchema,
  AttachHelloSchema,
  SshAgentErrorSchema,
]);
/** Any message a client sends to the SSH agent. */
export type ClientToSshAgentMessage = z.infer<typeof ClientToSshAgentMessageSchema>;

/** SSH agent → client. */
export const SshAgentToClientMessageSchema = z.discriminatedUnion('type', [
  RpcResultSchema,
  AttachReadySchema,
  StatusEventSchema,
  SshAgentErrorSchema,
]);
/** Any message the SSH agent sends to a client. */
export type SshAgentToClientMessage = z.infer<typeof SshAgentToClientMessageSchema>;

/** The SSH agent protocol. Directions: `toAgent` and `toClient`. */
export const sshAgentProtocol = defineProtocol({
  name: 'ssh-agent',
  directions: {
    toAgent: ClientToSshAgentMessageSchema,
    toClient: SshAgentToClientMessageSchema,
  },
});
