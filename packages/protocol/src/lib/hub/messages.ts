/**
 * Hub ⇄ agent messages over the hub's WebSocket: tasks from the hub's queue and
 * tunnels (the hub relays a TCP stream to a port inside a workspace, e.g. a dev
 * server or VNC).
 */
import { z } from 'zod';
import { errorSchema, eventSchema, requestSchema, resultSchema } from '../envelope.js';
import {
  Base64Schema,
  CountSchema,
  DetailSchema,
  DurationMsSchema,
  ErrorCodeSchema,
  OpaqueObjectSchema,
  ResourceIdSchema,
} from '../fields.js';
import { defineProtocol } from '../protocol.js';
import { HUB_PROTOCOL_VERSION as V } from '../versions.js';
import * as d from './device-flow.js';
import * as r from './registration.js';

/** Hub → agent: run a task. The agent accepts or refuses with `task.assign.result`. */
export const TaskAssignSchema = requestSchema(V, 'task.assign', {
  taskId: ResourceIdSchema,
  /** What to do, e.g. `job` (payload is a job input) or `agent-session`. */
  kind: ResourceIdSchema,
  payload: OpaqueObjectSchema,
  /** Give up after this long (default: no deadline beyond the payload's own). */
  deadlineMs: DurationMsSchema.optional(),
});
/** A {@link TaskAssignSchema} message. */
export type TaskAssign = z.infer<typeof TaskAssignSchema>;

/** Agent → hub: accepted (work starts) or refused (the hub requeues). */
export const TaskAssignResultSchema = resultSchema(V, 'task.assign', {
  taskId: ResourceIdSchema,
  accepted: z.boolean(),
  reason: DetailSchema.optional(),
});
/** A {@link TaskAssignResultSchema} message. */
export type TaskAssignResult = z.infer<typeof TaskAssignResultSchema>;

/** Agent → hub: progress of an accepted task. */
export const TaskUpdateSchema = eventSchema(V, 'task.update', {
  taskId: ResourceIdSchema,
  state: z.enum(['running', 'waiting']),
  /** Fraction done, 0..1, when known. */
  progress: z.number().min(0).max(1).optional(),
  message: DetailSchema.optional(),
});
/** A {@link TaskUpdateSchema} message. */
export type TaskUpdate = z.infer<typeof TaskUpdateSchema>;

/** Agent → hub: the task ended. */
export const TaskResultSchema = eventSchema(V, 'task.result', {
  taskId: ResourceIdSchema,
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  /** Kind-specific result (e.g. a job output). */
  result: OpaqueObjectSchema.optional(),
  error: z.strictObject({ code: ErrorCodeSchema, message: DetailSchema }).optional(),
});
/** A {@link TaskResultSchema} message. */
export type TaskResult = z.infer<typeof TaskResultSchema>;

/** Hub → agent: cancel a task; a `task.result` with status `cancelled` follows. */
export const TaskCancelSchema = requestSchema(V, 'task.cancel', { taskId: ResourceIdSchema });
/** A {@link TaskCancelSchema} message. */
export type TaskCancel = z.infer<typeof TaskCancelSchema>;

/** Agent → hub: the cancel was delivered (`cancelled` false when the task had already ended). */
export const TaskCancelResultSchema = resultSchema(V, 'task.cancel', {
  taskId: ResourceIdSchema,
  cancelled: z.boolean(),
});
/** A {@link TaskCancelResultSchema} message. */
export type TaskCancelResult = z.infer<typeof TaskCancelResultSchema>;

/** Hub → agent: open a TCP tunnel to `port` inside a workspace's container. */
export const TunnelOpenSchema = requestSchema(V, 'tunnel.open', {
  tunnelId: ResourceIdSchema,
  workspaceId: ResourceIdSchema,
  port: z.int().min(1).max(65_535),
});
/** A {@link TunnelOpenSchema} message. */
export type TunnelOpen = z.infer<typeof TunnelOpenSchema>;

/** Agent → hub: the tunnel is connected; `tunnel.data` may flow. */
export const TunnelOpenResultSchema = resultSchema(V, 'tunnel.open', { tunnelId: ResourceIdSchema });
/** A {@link TunnelOpenResultSchema} message. */
export type TunnelOpenResult = z.infer<typeof TunnelOpenResultSchema>;

/** Either way: bytes of the tunnel's stream, base64, in order (`seq` counts from 0 per direction). */
export const TunnelDataSchema = eventSchema(V, 'tunnel.data', {
  tunnelId: ResourceIdSchema,
  seq: CountSchema,
  data: Base64Schema,
});
/** A {@link TunnelDataSchema} message. */
export type TunnelData = z.infer<typeof TunnelDataSchema>;

/** Either way: the tunnel is closed (no reply). */
export const TunnelCloseSchema = eventSchema(V, 'tunnel.close', {
  tunnelId: ResourceIdSchema,
  reason: DetailSchema.optional(),
});
/** A {@link TunnelCloseSchema} message. */
export type TunnelClose = z.infer<typeof TunnelCloseSchema>;

/** The hub protocol's error message. */
export const HubErrorSchema = errorSchema(V);
/** A {@link HubErrorSchema} message. */
export type HubError = z.infer<typeof HubErrorSchema>;

/** Hub → agent. */
export const HubToAgentMessageSchema = z.discriminatedUnion('type', [
  TaskAssignSchema,
  TaskCancelSchema,
  TunnelOpenSchema,
  TunnelDataSchema,
  TunnelCloseSchema,
  HubErrorSchema,
]);
/** Any message the hub sends to an agent. */
export type HubToAgentMessage = z.infer<typeof HubToAgentMessageSchema>;

/** Agent → hub. */
export const AgentToHubMessageSchema = z.discriminatedUnion('type', [
  TaskAssignResultSchema,
  TaskUpdateSchema,
  TaskResultSchema,
  TaskCancelResultSchema,
  TunnelOpenResultSchema,
  TunnelDataSchema,
  TunnelCloseSchema,
  HubErrorSchema,
]);
/** Any message an agent sends to the hub. */
export type AgentToHubMessage = z.infer<typeof AgentToHubMessageSchema>;

/**
 * The CLI/agent ⇄ hub protocol. Directions: `toAgent` and `toHub`. Bodies: the
 * RFC 8628 device flow (unversioned, RFC field names) and agent registration.
 */
export const hubProtocol = defineProtocol({
  name: 'hub',
  directions: {
    toAgent: HubToAgentMessageSchema,
    toHub: AgentToHubMessageSchema,
  },
  bodies: {
    'device.authorization.request': d.DeviceAuthorizationRequestSchema,
    'device.authorization.response': d.DeviceAuthorizationResponseSchema,
    'device.token.request': d.DeviceTokenRequestSchema,
    'token.response': d.TokenResponseSchema,
    'oauth.error.response': d.OAuthErrorResponseSchema,
    'agent.registration.request': r.AgentRegistrationRequestSchema,
    'agent.registration.response': r.AgentRegistrationResponseSchema,
  },
});
