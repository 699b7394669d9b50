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
  name: NameSchema.describe('Engine name: `docker`, `podman`, or `process` for the embedded driver.'),
  version: z.string().max(128).describe("Engine version as it reports it (the worker's own version for `process`)."),
  /** Socket path or URL the engine was reached on; absent for the process driver. */
  socket: z.string().max(4096).describe('Socket path or URL the engine was reached on; absent for the process driver.').optional(),
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
  containerId: ResourceIdSchema.describe('Id of the container (the `containerId` of later commands).'),
  name: NameSchema.describe('Name given at `container.create`, when one was.').optional(),
  tenant: ResourceIdSchema.describe('Tenant that owns the container (its `bosun.tenant` label).'),
  workspaceId: ResourceIdSchema.describe('Workspace the container belongs to (its `bosun.workspace` label), when set.').optional(),
  image: z.string().min(1).max(512).describe('Image the container was created from.'),
  state: ContainerStateSchema.describe('State as the engine reports it.'),
  labels: LabelsSchema.describe('All labels of the container, `bosun.*` included.').optional(),
  createdAt: TimestampSchema.describe('When the container was created, when the engine says.').optional(),
});
/** A {@link ContainerSummarySchema} value. */
export type ContainerSummary = z.infer<typeof ContainerSummarySchema>;

/** A terminal that survived a worker restart (e.g. inside tmux), with its current output offset. */
export const ReadoptedTerminalSchema = z.strictObject({
  terminalId: ResourceIdSchema.describe('Id of the terminal, for `terminal.open` with `terminalId` to reattach.'),
  offset: OffsetSchema.describe('Byte offset of the end of its output now: a viewer may resume from any offset still buffered.'),
  containerId: ResourceIdSchema.describe('Container the terminal runs in; absent for a host shell.').optional(),
});
/** A {@link ReadoptedTerminalSchema} value. */
export type ReadoptedTerminal = z.infer<typeof ReadoptedTerminalSchema>;

/**
 * What the capability probe found. Loose on purpose (forward compatibility): probes
 * learn new facts faster than the protocol version moves, so unknown keys pass
 * through untouched.
 */
export const CapabilitiesSchema = boundedOpen(z.looseObject({
  runtimes: z
    .array(
      z.looseObject({
        name: NameSchema.describe('Runtime name, e.g. `node` or `python3`.'),
        version: z.string().max(128).describe('Its version, when it could be read.').optional(),
      }),
    )
    .max(256)
    .describe('Language runtimes found on the worker (at most 256).')
    .optional(),
  tools: z
    .array(
      z.looseObject({
        name: NameSchema.describe('Tool name, e.g. `git`.'),
        version: z.string().max(128).describe('Its version, when it could be read.').optional(),
      }),
    )
    .max(1024)
    .describe('Command-line tools found on the worker (at most 1024).')
    .optional(),
  gpus: z
    .array(
      z.looseObject({
        vendor: z.string().max(128).describe('GPU vendor, e.g. `NVIDIA`.'),
        model: z.string().max(256).describe('GPU model.'),
        memoryBytes: CountSchema.describe('GPU memory in bytes, when known.').optional(),
      }),
    )
    .max(64)
    .describe('GPUs found on the worker (at most 64).')
    .optional(),
}));
/** A {@link CapabilitiesSchema} value. */
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

/**
 * Worker → orchestrator, first message on the socket. The orchestrator checks `v`
 * here and answers `worker.registered` or `error` (`unsupported_version`).
 */
export const WorkerRegisterSchema = requestSchema(V, 'worker.register', {
  name: NameSchema.describe('Name the worker registers with (default: its hostname).'),
  hostname: z.string().min(1).max(255).describe("The worker machine's hostname."),
  /** `process.platform` of the worker, e.g. `linux`. */
  platform: z.string().min(1).max(64).describe('`process.platform` of the worker, e.g. `linux`.'),
  /** Number of CPU cores. */
  cpuCount: z.int().min(1).describe('Number of CPU cores.'),
  /** Total memory in bytes. */
  memoryTotal: CountSchema.describe('Total memory in bytes.'),
  /** Container engines found; a worker on the process driver lists `process` first. */
  containerEngines: z.array(ContainerEngineSchema).max(16).describe('Container engines found (at most 16); a worker running on the process driver lists `process` first.'),
  /** Version of the worker software. */
  agentVersion: z.string().min(1).max(64).describe('Version of the worker software.'),
  mode: WorkerModeSchema.describe("How the worker was enrolled: `byom` (a person's own machine) or `fleet`."),
  capabilities: CapabilitiesSchema.describe('What the capability probe found: runtimes, tools, GPUs (open: unknown keys pass through).').optional(),
  /** Containers found again through their `bosun.*` labels after a restart. */
  containers: z.array(ContainerSummarySchema).max(10_000).describe('Containers found again through their `bosun.*` labels after a restart.').optional(),
  /** Terminals still alive after a restart, with the offset viewers may resume from. */
  terminals: z.array(ReadoptedTerminalSchema).max(10_000).describe('Terminals still alive after a restart, with the offset viewers may resume from.').optional(),
});
/** A {@link WorkerRegisterSchema} message. */
export type WorkerRegister = z.infer<typeof WorkerRegisterSchema>;

/** Orchestrator → worker: registration accepted. */
export const WorkerRegisteredSchema = requestSchema(V, 'worker.registered', {
  workerId: ResourceIdSchema.describe("The worker's id at the orchestrator."),
  /** How often to send `worker.heartbeat`, in ms (default: the worker's configured interval, 10 000 ms unless set). */
  heartbeatIntervalMs: z
    .int()
    .min(1000)
    .max(3_600_000)
    .describe("Milliseconds between `worker.heartbeat`s (default: the worker's configured interval, 10000 unless set).")
    .optional(),
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
  cpuUsage: z.number().min(0).max(100).describe('CPU use over the last interval, in percent of all cores (0 to 100).'),
  /** Free memory in bytes. */
  memoryFree: CountSchema.describe('Free memory in bytes.'),
  /** Size in bytes of the filesystem holding the worker's data directory. */
  diskTotal: CountSchema.describe("Size in bytes of the filesystem holding the worker's data directory (absent when unknown).").optional(),
  /** Free bytes on that filesystem. */
  diskFree: CountSchema.describe("Free bytes on the filesystem holding the worker's data directory (absent when unknown).").optional(),
  /** Bosun-managed containers running now. */
  containersRunning: CountSchema.describe('Bosun-managed containers running now (the last known count when the engine is slow to answer).'),
  gatewayStatus: GatewayStatusSchema.describe("State of the worker's ACP gateway, when it has one.").optional(),
  gatewayStatusDetail: DetailSchema.describe('Why the gateway is in that state, for people (at most 4096 characters).').optional(),
  /** When the sample was taken (default: when received). */
  ts: TimestampSchema.describe('When the sample was taken (default: when received).').optional(),
});
/** A {@link WorkerHeartbeatSchema} message. */
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeatSchema>;
