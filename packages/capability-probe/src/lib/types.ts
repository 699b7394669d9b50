/**
 * Wire-facing payload shapes. Field names are contracts with `@bosun/protocol`
 * (`worker.register`, `worker.heartbeat`): do not rename them. These types are
 * narrower than the protocol's (which are loose for forward compatibility), and a
 * spec checks both that they are assignable and that real payloads parse.
 */
import type { GatewayStatus, WorkerMode } from '@bosun/protocol';

/** Version string used when a tool was found but its version could not be read. */
export const UNKNOWN_VERSION = 'unknown';

// ToolInfo, GpuInfo and Capabilities are type aliases, not interfaces, on purpose:
// the protocol's schemas for them are loose objects (index signature), and only
// aliases are implicitly assignable to one.

/** A runtime or tool found on the PATH. */
export type ToolInfo = {
  /** Probe name, e.g. `node`, `git`. */
  name: string;
  /** Version without a leading `v` (`20.20.2`), or {@link UNKNOWN_VERSION}. */
  version: string;
  /** Absolute path of the executable, as found on the PATH (symlinks not resolved). */
  path: string;
};

/** A GPU. */
export type GpuInfo = {
  /** Vendor, e.g. `NVIDIA`. */
  vendor: string;
  /** Model name, e.g. `NVIDIA A100-SXM4-40GB`. */
  model: string;
  /** Dedicated memory in bytes, when known. */
  memoryBytes?: number;
  /** Driver version, when known. */
  driver?: string;
};

/** A container engine that is present (socket answering, or CLI installed). */
export interface ContainerEngineInfo {
  /** `docker` or `podman`. */
  name: string;
  /** Engine version (from the daemon when its socket answered, else from the CLI). */
  version: string;
  /** Unix socket path, only when the engine answered `/version` on it. */
  socket?: string;
}

/** `capabilities` of the register payload. */
export type Capabilities = {
  /** Language runtimes (node, python3, go, …). */
  runtimes: ToolInfo[];
  /** Tools (git, docker, tmux, agent CLIs, …). */
  tools: ToolInfo[];
  /** GPUs; `[]` when the machine has none. */
  gpus: GpuInfo[];
};

/** Fields of the `worker.register` message, without `v`, `type` and `id` (the sender adds them). */
export interface RegisterPayload {
  /** Worker name, from options. */
  name: string;
  /** Host name of this machine. */
  hostname: string;
  /** Node-style platform: `linux`, `darwin`, `win32`. */
  platform: string;
  /** Logical CPU count. */
  cpuCount: number;
  /** Total memory in bytes. */
  memoryTotal: number;
  /** Container engines present. */
  containerEngines: ContainerEngineInfo[];
  /** Agent version, from options. */
  agentVersion: string;
  /** Worker mode, from options. */
  mode: WorkerMode;
  /** Runtimes, tools and GPUs. */
  capabilities: Capabilities;
}

/** Fields of the `worker.heartbeat` message, without `v`, `type` and the optional `ts`. */
export interface HeartbeatPayload {
  /** CPU usage in percent, 0–100, averaged since the previous heartbeat. */
  cpuUsage: number;
  /** Available memory in bytes. */
  memoryFree: number;
  /** Size in bytes of the data directory's filesystem, when a data dir is configured. */
  diskTotal?: number;
  /** Bytes available to unprivileged users on that filesystem. */
  diskFree?: number;
  /** Running containers, from the caller's callback. */
  containersRunning: number;
  /** Gateway status, from the caller's optional callback (`ok`, `starting`, `degraded`, `down`, `disabled`). */
  gatewayStatus?: GatewayStatus;
  /** Human-readable detail for {@link HeartbeatPayload.gatewayStatus}. */
  gatewayStatusDetail?: string;
}

/** Static facts about the host beyond the register payload (for logs and diagnostics). */
export interface SystemFacts {
  /** Host name. */
  hostname: string;
  /** Node-style platform. */
  platform: string;
  /** CPU architecture, e.g. `x64`. */
  arch: string;
  /** Distribution name, when known (e.g. `Debian GNU/Linux`). */
  distro?: string;
  /** Distribution release, when known. */
  release?: string;
  /** Kernel version, when known. */
  kernel?: string;
  /** CPU model, when known. */
  cpuModel?: string;
  /** Logical CPU count. */
  cpuCount: number;
  /** Total memory in bytes. */
  memoryTotal: number;
}

/** Everything the slow probes found, cached by `CapabilityProbe`. */
export interface CapabilitySnapshot {
  /** Clock time (ms) when the refresh that produced this snapshot finished. */
  takenAt: number;
  /** Host facts. */
  system: SystemFacts;
  /** Container engines present. */
  containerEngines: ContainerEngineInfo[];
  /** Runtimes, tools and GPUs. */
  capabilities: Capabilities;
}
