/** Container lifecycle commands: create, setup, start, stop, remove, list, list-all. */
import { z } from 'zod';
import { requestSchema, resultSchema } from '../envelope.js';
import {
  AbsolutePathSchema,
  ArgvSchema,
  CountSchema,
  EnvSchema,
  LabelsSchema,
  NameSchema,
  RelativePathSchema,
  ResourceIdSchema,
} from '../fields.js';
import { WORKER_PROTOCOL_VERSION as V } from '../versions.js';
import { ContainerStateSchema, ContainerSummarySchema } from './register.js';

/** Network of a container: none (default for `strict`/`offline`), bridge, or the host's. */
export const NetworkModeSchema = z.enum(['none', 'bridge', 'host']);
/** A {@link NetworkModeSchema} value. */
export type NetworkMode = z.infer<typeof NetworkModeSchema>;

/**
 * Named bundle of hardening settings (capabilities dropped, seccomp, no new
 * privileges, network). `standard` is the default.
 */
export const SecurityProfileSchema = z.enum(['open', 'standard', 'strict', 'offline']);
/** A {@link SecurityProfileSchema} value. */
export type SecurityProfile = z.infer<typeof SecurityProfileSchema>;

/** Resource limits; absent fields mean the worker's configured defaults. */
export const ContainerLimitsSchema = z.strictObject({
  /** CPU cores, fractional allowed (e.g. 1.5). */
  cpus: z.number().positive().max(1024).optional(),
  /** Memory limit in bytes (at least 4 MiB). */
  memoryBytes: z.int().min(4 * 1024 * 1024).optional(),
  /** Maximum number of processes. */
  pids: z.int().min(1).max(1_000_000).optional(),
});
/** A {@link ContainerLimitsSchema} value. */
export type ContainerLimits = z.infer<typeof ContainerLimitsSchema>;

/** A host directory bind-mounted into the container; the worker checks `source` against its allowed roots. */
export const BindMountSchema = z.strictObject({
  source: AbsolutePathSchema,
  target: AbsolutePathSchema,
  /** Default false. */
  readOnly: z.boolean().optional(),
});
/** A {@link BindMountSchema} value. */
export type BindMount = z.infer<typeof BindMountSchema>;

/** A named volume mounted into the container (created when missing). */
export const VolumeMountSchema = z.strictObject({
  name: ResourceIdSchema,
  target: AbsolutePathSchema,
  /** Default false. */
  readOnly: z.boolean().optional(),
});
/** A {@link VolumeMountSchema} value. */
export type VolumeMount = z.infer<typeof VolumeMountSchema>;

/** A tmpfs mount. */
export const TmpfsMountSchema = z.strictObject({
  target: AbsolutePathSchema,
  /** Size in bytes (default: the engine's, usually half the RAM). */
  sizeBytes: CountSchema.optional(),
});
/** A {@link TmpfsMountSchema} value. */
export type TmpfsMount = z.infer<typeof TmpfsMountSchema>;

/** Create (not start) a container for a tenant's workspace. Labels `bosun.*` are added by the worker. */
export const ContainerCreateSchema = requestSchema(V, 'container.create', {
  tenant: ResourceIdSchema,
  workspaceId: ResourceIdSchema,
  image: z.string().min(1).max(512),
  name: ResourceIdSchema.optional(),
  env: EnvSchema.optional(),
  workingDir: AbsolutePathSchema.optional(),
  labels: LabelsSchema.optional(),
  mounts: z.array(BindMountSchema).max(64).optional(),
  volumes: z.array(VolumeMountSchema).max(64).optional(),
  limits: ContainerLimitsSchema.optional(),
  /** Default: from the security profile (`none` for strict/offline, else `bridge`). */
  network: NetworkModeSchema.optional(),
  /** Default false. */
  readOnlyRoot: z.boolean().optional(),
  tmpfs: z.array(TmpfsMountSchema).max(16).optional(),
  /** Default `standard`. */
  securityProfile: SecurityProfileSchema.optional(),
  /** Default: the image's command. */
  cmd: ArgvSchema.optional(),
});
/** A {@link ContainerCreateSchema} message. */
export type ContainerCreate = z.infer<typeof ContainerCreateSchema>;

/** Reply to `container.create`. */
export const ContainerCreateResultSchema = resultSchema(V, 'container.create', {
  containerId: ResourceIdSchema,
  name: NameSchema,
});
/** A {@link ContainerCreateResultSchema} message. */
export type ContainerCreateResult = z.infer<typeof ContainerCreateResultSchema>;

/** Git repository to clone into the workspace. `token` is a secret: never log it. */
export const RepoSpecSchema = z.strictObject({
  /** `https://…`, `ssh://…` or `git@host:path` URL. */
  url: z
    .string()
    .min(1)
    .max(2048)
    .regex(/^(?:https?:\/\/|ssh:\/\/|git@)[^\s]+$/, 'expected an https, ssh or git@ URL'),
  /** Default: the remote's default branch. */
  branch: z.string().min(1).max(255).regex(/^[^\s~^:?*[\\]+$/, 'expected a branch name').optional(),
  /** Shallow clone depth (default: full history). */
  depth: z.int().min(1).optional(),
  token: z.string().min(1).max(4096).optional(),
});
/** A {@link RepoSpecSchema} value. */
export type RepoSpec = z.infer<typeof RepoSpecSchema>;

/** Agent instructions file written into the workdir, e.g. `CLAUDE.md` or `AGENTS.md`. */
export const InstructionsFileSchema = z.strictObject({
  /** Relative to the workdir; any safe relative name. */
  fileName: RelativePathSchema,
  content: z.string().max(512 * 1024),
});
/** A {@link InstructionsFileSchema} value. */
export type InstructionsFile = z.infer<typeof InstructionsFileSchema>;

/** Prepare a created container: clone a repository, write agent instructions. */
export const ContainerSetupSchema = requestSchema(V, 'container.setup', {
  containerId: ResourceIdSchema,
  tenant: ResourceIdSchema,
  repo: RepoSpecSchema.optional(),
  instructions: InstructionsFileSchema.optional(),
  /** Default `/workspace`. */
  workdir: AbsolutePathSchema.optional(),
});
/** A {@link ContainerSetupSchema} message. */
export type ContainerSetup = z.infer<typeof ContainerSetupSchema>;

/** Reply to `container.setup`. */
export const ContainerSetupResultSchema = resultSchema(V, 'container.setup', {
  workdir: AbsolutePathSchema,
  /** Commit checked out, when a repository was cloned. */
  commit: z.string().regex(/^[0-9a-f]{7,64}$/).optional(),
});
/** A {@link ContainerSetupResultSchema} message. */
export type ContainerSetupResult = z.infer<typeof ContainerSetupResultSchema>;

/** Start a created or stopped container. */
export const ContainerStartSchema = requestSchema(V, 'container.start', {
  tenant: ResourceIdSchema,
  containerId: ResourceIdSchema,
});
/** A {@link ContainerStartSchema} message. */
export type ContainerStart = z.infer<typeof ContainerStartSchema>;

/** Reply to `container.start`. */
export const ContainerStartResultSchema = resultSchema(V, 'container.start', {
  containerId: ResourceIdSchema,
  state: ContainerStateSchema,
});
/** A {@link ContainerStartResultSchema} message. */
export type ContainerStartResult = z.infer<typeof ContainerStartResultSchema>;

/** Stop a running container: SIGTERM, then SIGKILL after `timeoutS`. */
export const ContainerStopSchema = requestSchema(V, 'container.stop', {
  tenant: ResourceIdSchema,
  containerId: ResourceIdSchema,
  /** Seconds between SIGTERM and SIGKILL (default 10). */
  timeoutS: z.int().min(0).max(3600).optional(),
});
/** A {@link ContainerStopSchema} message. */
export type ContainerStop = z.infer<typeof ContainerStopSchema>;

/** Reply to `container.stop`. */
export const ContainerStopResultSchema = resultSchema(V, 'container.stop', {
  containerId: ResourceIdSchema,
  state: ContainerStateSchema,
});
/** A {@link ContainerStopResultSchema} message. */
export type ContainerStopResult = z.infer<typeof ContainerStopResultSchema>;

/** Remove a container. */
export const ContainerRemoveSchema = requestSchema(V, 'container.remove', {
  tenant: ResourceIdSchema,
  containerId: ResourceIdSchema,
  /** Kill it first when running (default false). */
  force: z.boolean().optional(),
  /** Also remove its anonymous volumes (default false). */
  removeVolumes: z.boolean().optional(),
});
/** A {@link ContainerRemoveSchema} message. */
export type ContainerRemove = z.infer<typeof ContainerRemoveSchema>;

/** Reply to `container.remove`. */
export const ContainerRemoveResultSchema = resultSchema(V, 'container.remove', {
  containerId: ResourceIdSchema,
  /** False when it was already gone. */
  removed: z.boolean(),
});
/** A {@link ContainerRemoveResultSchema} message. */
export type ContainerRemoveResult = z.infer<typeof ContainerRemoveResultSchema>;

/** List one tenant's containers (optionally one workspace's). */
export const ContainerListSchema = requestSchema(V, 'container.list', {
  tenant: ResourceIdSchema,
  workspaceId: ResourceIdSchema.optional(),
});
/** A {@link ContainerListSchema} message. */
export type ContainerList = z.infer<typeof ContainerListSchema>;

/** Reply to `container.list`. */
export const ContainerListResultSchema = resultSchema(V, 'container.list', {
  containers: z.array(ContainerSummarySchema),
});
/** A {@link ContainerListResultSchema} message. */
export type ContainerListResult = z.infer<typeof ContainerListResultSchema>;

/** List every Bosun-managed container of every tenant (operator use). */
export const ContainerListAllSchema = requestSchema(V, 'container.list-all', {});
/** A {@link ContainerListAllSchema} message. */
export type ContainerListAll = z.infer<typeof ContainerListAllSchema>;

/** Reply to `container.list-all`. */
export const ContainerListAllResultSchema = resultSchema(V, 'container.list-all', {
  containers: z.array(ContainerSummarySchema),
});
/** A {@link ContainerListAllResultSchema} message. */
export type ContainerListAllResult = z.infer<typeof ContainerListAllResultSchema>;
