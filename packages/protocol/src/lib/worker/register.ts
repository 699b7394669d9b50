/**
 * Worker handshake and liveness: `worker.register` → `worker.registered`, then
 * `worker.heartbeat` every `heartbeatIntervalMs`.
 */
import { z } from 'zod';
import { eventSchema, requestSchema } from '../envelope.js';
import {
  boundedOpen,
  CountSchema,
  DetailSchema,
  LabelsSchema,
  NameSchema,
  OffsetSchema,
  ResourceIdSchema,
  TimestampSchema,
} from '../fields.js';
import { WORKER_PROTOCOL_VERSION as V } from '../versions.js';

/** How a worker was enrolled: a person's own machine, or a machine of the fleet. */
export const WorkerModeSchema = z.enum(['byom', 'fleet']);
/** A {@link WorkerModeSchema} value. */
export type WorkerMode = z.infer<typeof WorkerModeSchema>;

/** A container engine found on the worker (Docker, Podman, or `process` for the embedded driver). */
export const ContainerEngineSchema = z.strictObject({
  name: NameSchema,
  version: z.string().max(128),
  /** Socket path or URL the engine was reached on; absent for the process driver. */
  socket: z.string().max(4096).optional(),
});
/** A {@link ContainerEngineSchema} value. */
export type ContainerEngine = z.infer<typeof ContainerEngineSchema>;

/** State of a container as the engine reports it. */
export const ContainerStateSchema = z.enum([
  'created',
  'running',
  'paused',
  'restarting',
  'exited',
  'stopped',
  'dead',
  'removing',
  'unknown',
]);
/** A {@link ContainerStateSchema} value. */
export type ContainerState = z.infer<typeof ContainerStateSchema>;

/** One container managed by Bosun, as listed or re-adopted after a restart. */
export const ContainerSummarySchema = z.strictObject({
  containerId: ResourceIdSchema,
  name: NameSchema.optional(),
  tenant: ResourceIdSchema,
  workspaceId: ResourceIdSchema.optional(),
  image: z.string().min(1).max(512),
  state: ContainerStateSchema,
  labels: LabelsSchema.optional(),
  createdAt: TimestampSchema.optional(),
});
/** A {@link ContainerSummarySchema} value. */
export type ContainerSummary = z.infer<typeof ContainerSummarySchema>;

/** A terminal that survived a worker restart (e.g. inside tmux), with its current output offset. */
export const ReadoptedTerminalSchema = z.strictObject({
  terminalId: ResourceIdSchema,
  offset: OffsetSchema,
  containerId: ResourceIdSchema.optional(),
});
/** A {@link ReadoptedTerminalSchema} value. */
export type ReadoptedTerminal = z.infer<typeof ReadoptedTerminalSchema>;

/**
 * What the capability probe found. Loose on purpose (forward compatibility): probes
 * learn new facts faster than the protocol version moves, so unknown keys pass
 * through untouched.
 */
export const CapabilitiesSchema = boundedOpen(z.looseObject({
  runtimes: z.array(z.looseObject({ name: NameSchema, version: z.string().max(128).optional() })).max(256).optional(),
  tools: z.array(z.looseObject({ name: NameSchema, version: z.string().max(128).optional() })).max(1024).optional(),
  gpus: z
    .array(
      z.looseObject({
        vendor: z.string().max(128),
        model: z.string().max(256),
        memoryBytes: CountSchema.optional(),
      }),
    )
    .max(64)
    .optional(),
}));
/** A {@link CapabilitiesSchema} value. */
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

/**
 * Worker → orchestrator, first message on the socket. The orchestrator checks `v`
 * here and answers `worker.registered` or `error` (`unsupported_version`).
 */
export const WorkerRegisterSchema = requestSchema(V, 'worker.register', {
  name: NameSchema,
  hostname: z.string().min(1).max(255),
  /** `process.platform` of the worker, e.g. `linux`. */
  platform: z.string().min(1).max(64),
  cpuCount: z.int().min(1),
  /** Total memory in bytes. */
  memoryTotal: CountSchema,
  containerEngines: z.array(ContainerEngineSchema).max(16),
  agentVersion: z.string().min(1).max(64),
  mode: WorkerModeSchema,
  capabilities: CapabilitiesSchema.optional(),
  /** Containers found again through their `bosun.*` labels after a restart. */
  containers: z.array(ContainerSummarySchema).max(10_000).optional(),
  /** Terminals still alive after a restart, with the offset viewers may resume from. */
  terminals: z.array(ReadoptedTerminalSchema).max(10_000).optional(),
});
/** A {@link WorkerRegisterSchema} message. */
export type WorkerRegister = z.infer<typeof WorkerRegisterSchema>;

/** Orchestrator → worker: registration accepted. */
export const WorkerRegisteredSchema = requestSchema(V, 'worker.registered', {
  workerId: ResourceIdSchema,
  /** How often to send `worker.heartbeat` (default: the worker's configured interval). */
  heartbeatIntervalMs: z.int().min(1000).max(3_600_000).optional(),
});
/** A {@link WorkerRegisteredSchema} message. */
export type WorkerRegistered = z.infer<typeof WorkerRegisteredSchema>;

/** State of the worker's gateway (the optional ACP gateway next to it). */
export const GatewayStatusSchema = z.enum(['ok', 'starting', 'degraded', 'down', 'disabled']);
/** A {@link GatewayStatusSchema} value. */
export type GatewayStatus = z.infer<typeof GatewayStatusSchema>;

/** Worker → orchestrator, periodically: load and free resources. */
export const WorkerHeartbeatSchema = eventSchema(V, 'worker.heartbeat', {
  /** CPU use over the last interval, in percent of all cores (0..100). */
  cpuUsage: z.number().min(0).max(100),
  /** Free memory in bytes. */
  memoryFree: CountSchema,
  diskTotal: CountSchema.optional(),
  diskFree: CountSchema.optional(),
  containersRunning: CountSchema,
  gatewayStatus: GatewayStatusSchema.optional(),
  gatewayStatusDetail: DetailSchema.optional(),
  /** When the sample was taken (default: when received). */
  ts: TimestampSchema.optional(),
});
/** A {@link WorkerHeartbeatSchema} message. */
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeatSchema>;
