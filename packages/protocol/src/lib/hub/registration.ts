/** Agent registration with the hub (`POST /v1/agents`, authorized by the device-flow token). */
import { z } from 'zod';
import { NameSchema, ResourceIdSchema } from '../fields.js';
import { WorkerModeSchema } from '../worker/register.js';

/** Registration request: who is asking to become a worker. */
export const AgentRegistrationRequestSchema = z.strictObject({
  name: NameSchema,
  hostname: z.string().min(1).max(255),
  platform: z.string().min(1).max(64),
  agentVersion: z.string().min(1).max(64),
  /** Default `byom`. */
  mode: WorkerModeSchema.optional(),
  labels: z.record(z.string().min(1).max(255), z.string().max(4096)).optional(),
});
/** A {@link AgentRegistrationRequestSchema} body. */
export type AgentRegistrationRequest = z.infer<typeof AgentRegistrationRequestSchema>;

/** Registration response: the worker's id and its long-lived token (a secret: store 0600, never log). */
export const AgentRegistrationResponseSchema = z.strictObject({
  workerId: ResourceIdSchema,
  token: z.string().min(16).max(4096),
  /** WebSocket URL of the orchestrator to connect to (default: the hub's own `/v1/worker`). */
  orchestratorUrl: z.url().optional(),
});
/** A {@link AgentRegistrationResponseSchema} body. */
export type AgentRegistrationResponse = z.infer<typeof AgentRegistrationResponseSchema>;
