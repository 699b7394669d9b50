export {
  type BackgroundJob,
  type BackgroundSpec,
  type BuildSpec,
  type Capabilities,
  type CaptureResult,
  type ContainerDriver,
  type ContainerInfo,
  type ContainerRef,
  type ContainerStatus,
  type CreateSpec,
  type DeadlineOptions,
  type DriverEvent,
  type DriverKind,
  type ExecResult,
  type ExecSpec,
  type ImageInfo,
  type Limits,
  type LimitSupport,
  type ListFilter,
  type LogsOptions,
  type MountSpec,
  type OutputChunk,
  type StopOptions,
  type TtyExecSpec,
  type TtySession,
  type VolumeInfo,
} from './lib/types.js';
export {
  DriverError,
  DriverErrorCode,
  type DriverErrorJson,
  isDriverError,
} from './lib/errors.js';
export {
  assertName,
  assertTenant,
  buildLabels,
  engineName,
  labelFilter,
  LABELS,
  matchesLabels,
  ownedBy,
} from './lib/labels.js';
export {
  hostCapacity,
  type HostCapacity,
  MIN_MEMORY_BYTES,
  validateLimits,
} from './lib/limits.js';
export {
  type EngineEndpoint,
  engineGetJson,
  type EngineHttpError,
  type EngineVersion,
  findEngineSocket,
  findEngineSockets,
  type FindSocketOptions,
  parseDockerHost,
  pingEngine,
} from './lib/socket.js';
export {
  demuxAll,
  Demuxer,
  muxFrame,
} from './lib/demux.js';
export {
  AsyncQueue,
  withDeadline,
} from './lib/deadline.js';
export {
  type LogFn,
  type Logger,
  silentLogger,
} from './lib/logger.js';
export {
  EngineDriver,
  type EngineDriverOptions,
  resizeExec,
} from './lib/engine/engine-driver.js';
export {
  baseImages,
  followProgress,
} from './lib/engine/progress.js';
export {
  prlimitArgs,
  ProcessDriver,
  type ProcessDriverOptions,
} from './lib/process/process-driver.js';
export {
  assertInside,
  sessionPath,
} from './lib/process/paths.js';
export {
  type CreatedDriver,
  createDriver,
  type CreateDriverOptions,
} from './lib/create-driver.js';
