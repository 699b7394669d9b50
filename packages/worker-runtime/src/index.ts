/**
 * @bosun/worker-runtime: the worker's adapter — the orchestrator connection over the
 * peer seam, worker commands ⇄ the sandbox and terminal services, BYOM files.
 */
export {
  Backoff,
  type BackoffOptions,
} from './lib/backoff.js';
export {
  ByomFiles,
  readJson,
  type WorkerCredentials,
  writeJsonPrivate,
} from './lib/byom-files.js';
export {
  type LogFn,
  type Logger,
  silentLogger,
} from './lib/logger.js';
export {
  CommandError,
  CommandHandler,
  type CommandHandlerOptions,
  type ContainerSummary,
  type ReplySink,
  type TerminalCommands,
  toSummary,
} from './lib/command-handler.js';
export {
  TerminalBridge,
  type TerminalBridgeOptions,
  type TerminalLink,
} from './lib/terminal-bridge.js';
export {
  type PayloadSource,
  WorkerRuntime,
  type WorkerRuntimeEvents,
  type WorkerRuntimeOptions,
} from './lib/worker-runtime.js';
export {
  agentIdOf,
  withDriverInUse,
  resolveCredentials,
  type RunningWorker,
  startWorker,
  type WorkerSettings,
} from './lib/start-worker.js';
export {
  workerConfig,
  workerHelp,
} from './lib/worker-config.js';
