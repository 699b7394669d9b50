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
import { ContainerIdResultField, ContainerRefField, ContainerTenantField } from './field-docs.js';
import { ContainerStateSchema, ContainerSummarySchema } from './register.js';

/**
 * Network of a container: none, bridge, or the host's. Default: `none` under the
 * `offline` profile, else the engine's default (usually `bridge`).
 */
export const NetworkModeSchema = z.enum(['none', 'bridge', 'host']);
/** A {@link NetworkModeSchema} value. */
export type NetworkMode = z.infer<typeof NetworkModeSchema>;

/**
 * Named bundle of hardening settings (limits, read-only root, network), weakest first.
 * Default: the worker's security floor (itself `open` by default); a profile weaker
 * than the floor is refused (`security_floor`).
 */
export const SecurityProfileSchema = z.enum(['open', 'standard', 'strict', 'offline']);
/** A {@link SecurityProfileSchema} value. */
export type SecurityProfile = z.infer<typeof SecurityProfileSchema>;

/**
 * Resource limits. The security profile tightens them (for each limit the smaller
 * value wins); an absent field gets the profile's limit (none under `open`).
 */
export const ContainerLimitsSchema = z.strictObject({
  /** CPU cores, fractional allowed (e.g. 1.5). */
  cpus: z.number().positive().max(1024).describe("CPU cores, fractional allowed (e.g. 1.5) (default: the security profile's, none under `open`).").optional(),
  /** Memory limit in bytes (at least 4 MiB). */
  memoryBytes: z.int().min(4 * 1024 * 1024).describe("Memory limit in bytes, at least 4 MiB (default: the security profile's, none under `open`).").optional(),
  /** Maximum number of processes. */
  pids: z.int().min(1).max(1_000_000).describe("Maximum number of processes (default: the security profile's, none under `open`).").optional(),
});
/** A {@link ContainerLimitsSchema} value. */
export type ContainerLimits = z.infer<typeof ContainerLimitsSchema>;

/** A host directory bind-mounted into the container; the worker checks `source` against its allowed roots. */
export const BindMountSchema = z.strictObject({
  source: AbsolutePathSchema.describe(
    "Host directory to mount; it must resolve (through symlinks) inside the worker's allowed roots, else `forbidden_path` (none allowed by default).",
  ),
  target: AbsolutePathSchema.describe('Absolute path of the mount inside the container.'),
  /** Default false. */
  readOnly: z.boolean().describe('Mount read-only (default false).').optional(),
});
/** A {@link BindMountSchema} value. */
export type BindMount = z.infer<typeof BindMountSchema>;

/** A named volume mounted into the container (created when missing). */
export const VolumeMountSchema = z.strictObject({
  name: ResourceIdSchema.describe("Name of one of the tenant's volumes (created when missing)."),
  target: AbsolutePathSchema.describe('Absolute path of the mount inside the container.'),
  /** Default false. */
  readOnly: z.boolean().describe('Mount read-only (default false).').optional(),
});
/** A {@link VolumeMountSchema} value. */
export type VolumeMount = z.infer<typeof VolumeMountSchema>;

/** A tmpfs mount. */
export const TmpfsMountSchema = z.strictObject({
  target: AbsolutePathSchema.describe('Absolute path of the tmpfs inside the container.'),
  /** Size in bytes (default: the engine's, usually half the RAM). */
  sizeBytes: CountSchema.describe("Size in bytes (default: the engine's, usually half the RAM).").optional(),
});
/** A {@link TmpfsMountSchema} value. */
export type TmpfsMount = z.infer<typeof TmpfsMountSchema>;

/** Create (not start) a container for a tenant's workspace. Labels `bosun.*` are added by the worker. */
export const ContainerCreateSchema = requestSchema(V, 'container.create', {
  tenant: ResourceIdSchema.describe('Tenant that will own the container; every later command on it must name the same tenant.'),
  workspaceId: ResourceIdSchema.describe('Workspace the container belongs to (stored as the `bosun.workspace` label; `container.list` can filter on it).'),
  image: z.string().min(1).max(512).describe('Image to run, e.g. `localhost/bosun-test:busybox`; never pulled, so it must be present on the worker (`image_not_found` otherwise; the process driver only records it).'),
  name: ResourceIdSchema.describe("Name, unique per tenant, usable as `containerId` in later commands (default: none, the engine's id only).").optional(),
  env: EnvSchema.describe("Environment variables added to the image's (default none).").optional(),
  workingDir: AbsolutePathSchema.describe("Working directory of the container's command (default: the image's).").optional(),
  labels: LabelsSchema.describe('Extra labels (default none); keys under `bosun.` are refused (`invalid_argument`), `bosun-profile` and `bosun-bind-sources` are set by the worker.').optional(),
  mounts: z.array(BindMountSchema).max(64).describe('Host directories to bind-mount, at most 64 (default none).').optional(),
  volumes: z.array(VolumeMountSchema).max(64).describe("Named volumes of the tenant to mount, at most 64 (default none).").optional(),
  limits: ContainerLimitsSchema.describe("Resource limits, tightened by the security profile (default: the profile's).").optional(),
  /** Default: `none` under the `offline` profile, else the engine's default (usually `bridge`). */
  network: NetworkModeSchema.describe(
    "Network: `none`, `bridge` or `host` (default: `none` under the `offline` profile, where any other is refused; else the engine's, usually `bridge`).",
  ).optional(),
  /** Default false (always true under `strict` and `offline`). */
  readOnlyRoot: z.boolean().describe('Mount the root filesystem read-only (default false; always true under `strict` and `offline`).').optional(),
  tmpfs: z.array(TmpfsMountSchema).max(16).describe('tmpfs mounts, at most 16 (default none; `strict` and `offline` add /tmp and /run).').optional(),
  /** Default: the worker's security floor (itself `open` by default). */
  securityProfile: SecurityProfileSchema.describe(
    "Hardening: `open` (no limits), `standard` (4 GiB, 2 CPUs, 1024 pids), `strict` (2 GiB, 1 CPU, 512 pids, read-only root), `offline` (strict, no network) (default: the worker's floor, `open` unless configured); weaker than the floor is refused.",
  ).optional(),
  /** Default: the image's command. */
  cmd: ArgvSchema.describe("Command as argv (default: the image's command).").optional(),
});
/** A {@link ContainerCreateSchema} message. */
export type ContainerCreate = z.infer<typeof ContainerCreateSchema>;

/** Reply to `container.create`. */
export const ContainerCreateResultSchema = resultSchema(V, 'container.create', {
  containerId: ResourceIdSchema.describe('Id of the new container; pass it as `containerId` to later commands.'),
  name: NameSchema.describe("The container's name: the one asked for, else its id."),
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
    .regex(/^(?:https?:\/\/|ssh:\/\/|git@)[^\s]+$/, 'expected an https, ssh or git@ URL')
    .describe('Repository URL: `https://…`, `ssh://…` or `git@host:path`.'),
  /** Default: the remote's default branch. */
  branch: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^\s~^:?*[\\]+$/, 'expected a branch name')
    .describe("Branch to check out (default: the remote's default branch).")
    .optional(),
  /** Shallow clone depth (default: full history). */
  depth: z.int().min(1).describe('Shallow clone depth in commits (default: full history).').optional(),
  /** Access token for HTTPS; a secret, passed to git through the environment, never in argv, the URL or a log. */
  token: z
    .string()
    .min(1)
    .max(4096)
    .describe('Access token for an HTTPS remote (default none); a secret, handed to git through the environment, never put in argv, the URL or a log.')
    .optional(),
});
/** A {@link RepoSpecSchema} value. */
export type RepoSpec = z.infer<typeof RepoSpecSchema>;

/** Agent instructions file written into the workdir, e.g. `CLAUDE.md` or `AGENTS.md`. */
export const InstructionsFileSchema = z.strictObject({
  /** Relative to the workdir; any safe relative name. */
  fileName: RelativePathSchema.describe('File name relative to the workdir, e.g. `CLAUDE.md`; it must stay inside the workdir.'),
  /** File content, UTF-8 text of at most 512 KiB characters. */
  content: z.string().max(512 * 1024).describe('File content as UTF-8 text (at most 512 KiB characters).'),
});
/** A {@link InstructionsFileSchema} value. */
export type InstructionsFile = z.infer<typeof InstructionsFileSchema>;

/** Prepare a created container: clone a repository, write agent instructions. */
export const ContainerSetupSchema = requestSchema(V, 'container.setup', {
  containerId: ContainerRefField,
  tenant: ContainerTenantField,
  repo: RepoSpecSchema.describe('Git repository to clone into the workdir (default none); git must be in the image.').optional(),
  instructions: InstructionsFileSchema.describe('Agent instructions file to write into the workdir (default none).').optional(),
  /** Default `/workspace`. */
  workdir: AbsolutePathSchema.describe('Directory inside the container to clone into and write the instructions in, created when missing (default `/workspace`).').optional(),
});
/** A {@link ContainerSetupSchema} message. */
export type ContainerSetup = z.infer<typeof ContainerSetupSchema>;

/** Reply to `container.setup`. */
export const ContainerSetupResultSchema = resultSchema(V, 'container.setup', {
  workdir: AbsolutePathSchema.describe('The workdir that was prepared.'),
  /** Commit checked out, when a repository was cloned. */
  commit: z.string().regex(/^[0-9a-f]{7,64}$/).describe('Commit checked out, when a repository was cloned.').optional(),
});
/** A {@link ContainerSetupResultSchema} message. */
export type ContainerSetupResult = z.infer<typeof ContainerSetupResultSchema>;

/** Start a created or stopped container. */
export const ContainerStartSchema = requestSchema(V, 'container.start', {
  tenant: ContainerTenantField,
  containerId: ContainerRefField,
});
/** A {@link ContainerStartSchema} message. */
export type ContainerStart = z.infer<typeof ContainerStartSchema>;

/** Reply to `container.start`. */
export const ContainerStartResultSchema = resultSchema(V, 'container.start', {
  containerId: ContainerIdResultField,
  state: ContainerStateSchema.describe('State of the container after the start, as the engine reports it.'),
});
/** A {@link ContainerStartResultSchema} message. */
export type ContainerStartResult = z.infer<typeof ContainerStartResultSchema>;

/** Stop a running container: SIGTERM, then SIGKILL after `timeoutS`. */
export const ContainerStopSchema = requestSchema(V, 'container.stop', {
  tenant: ContainerTenantField,
  containerId: ContainerRefField,
  /** Seconds between SIGTERM and SIGKILL (default 10). */
  timeoutS: z.int().min(0).max(3600).describe('Seconds to wait after SIGTERM before SIGKILL, 0 to 3600 (default 10).').optional(),
});
/** A {@link ContainerStopSchema} message. */
export type ContainerStop = z.infer<typeof ContainerStopSchema>;

/** Reply to `container.stop`. */
export const ContainerStopResultSchema = resultSchema(V, 'container.stop', {
  containerId: ContainerIdResultField,
  state: ContainerStateSchema.describe('State of the container after the stop, as the engine reports it.'),
});
/** A {@link ContainerStopResultSchema} message. */
export type ContainerStopResult = z.infer<typeof ContainerStopResultSchema>;

/** Remove a container. */
export const ContainerRemoveSchema = requestSchema(V, 'container.remove', {
  tenant: ContainerTenantField,
  containerId: ContainerRefField,
  /** Kill it first when running (default false). */
  force: z.boolean().describe('Kill the container first when it is running; without it a running container answers `conflict` (default false).').optional(),
  /**
   * Also remove its anonymous volumes (default false). Not honoured yet: the worker's
   * engine driver always removes them, and the process driver has none.
   */
  removeVolumes: z.boolean().describe('Also remove its anonymous volumes (default false); not honoured yet: the worker always removes them.').optional(),
});
/** A {@link ContainerRemoveSchema} message. */
export type ContainerRemove = z.infer<typeof ContainerRemoveSchema>;

/** Reply to `container.remove`. */
export const ContainerRemoveResultSchema = resultSchema(V, 'container.remove', {
  containerId: ContainerIdResultField,
  /** False when it was already gone. */
  removed: z.boolean().describe('True when it was removed, false when it was already gone.'),
});
/** A {@link ContainerRemoveResultSchema} message. */
export type ContainerRemoveResult = z.infer<typeof ContainerRemoveResultSchema>;

/** List one tenant's containers (optionally one workspace's). */
export const ContainerListSchema = requestSchema(V, 'container.list', {
  tenant: ResourceIdSchema.describe("Tenant whose containers to list; no other tenant's are included."),
  workspaceId: ResourceIdSchema.describe("Only this workspace's containers (default: all of the tenant's).").optional(),
});
/** A {@link ContainerListSchema} message. */
export type ContainerList = z.infer<typeof ContainerListSchema>;

/** Reply to `container.list`. */
export const ContainerListResultSchema = resultSchema(V, 'container.list', {
  containers: z.array(ContainerSummarySchema).describe("The tenant's Bosun-managed containers, running or not."),
});
/** A {@link ContainerListResultSchema} message. */
export type ContainerListResult = z.infer<typeof ContainerListResultSchema>;

/** List every Bosun-managed container of every tenant (operator use). */
export const ContainerListAllSchema = requestSchema(V, 'container.list-all', {});
/** A {@link ContainerListAllSchema} message. */
export type ContainerListAll = z.infer<typeof ContainerListAllSchema>;

/** Reply to `container.list-all`. */
export const ContainerListAllResultSchema = resultSchema(V, 'container.list-all', {
  containers: z.array(ContainerSummarySchema).describe('Every Bosun-managed container on the worker, of every tenant, running or not.'),
});
/** A {@link ContainerListAllResultSchema} message. */
export type ContainerListAllResult = z.infer<typeof ContainerListAllResultSchema>;
