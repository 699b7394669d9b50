export { CapabilityProbe } from './lib/capability-probe.js';
export {
  resolveProbeOptions,
  systemClock,
  type CapabilityProbeOptions,
  type Clock,
  type GatewayStatusReport,
  type ResolvedProbeOptions,
} from './lib/options.js';
export {
  UNKNOWN_VERSION,
  type Capabilities,
  type CapabilitySnapshot,
  type ContainerEngineInfo,
  type GpuInfo,
  type HeartbeatPayload,
  type RegisterPayload,
  type SystemFacts,
  type ToolInfo,
} from './lib/types.js';
export { DEFAULT_TOOL_SPECS, parseVersion, type ToolKind, type ToolSpec } from './lib/tool-specs.js';
export { probeTool, probeTools, type ProbedTool, type ToolProbeContext } from './lib/probe-tools.js';
export { spawnCommandRunner, type CommandResult, type CommandRunner, type RunOptions } from './lib/command-runner.js';
export { findExecutable, type FindExecutableOptions } from './lib/which.js';
export {
  engineSocketCandidates,
  mergeContainerEngines,
  probeEngineSockets,
  queryEngineSocket,
} from './lib/container-engines.js';
export { NVIDIA_SMI_ARGS, parseNvidiaSmi, probeGpus, type GpuProbeInput } from './lib/gpus.js';
export { CpuUsageMeter, nodeHost, type CpuTimes, type FsSpace, type HostFacade } from './lib/host.js';
export { systeminformationFacade, type SystemInfoFacade } from './lib/system-info.js';
export { silentLogger, type LogFn, type Logger } from './lib/logger.js';
export { withDeadline, type DeadlineResult } from './lib/deadline.js';
