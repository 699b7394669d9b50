export {
  PtyError,
  PtyErrorCode,
} from './lib/errors.js';
export {
  type LogFn,
  type Logger,
  silentLogger,
} from './lib/logger.js';
export {
  type Clock,
  systemClock,
} from './lib/clock.js';
export {
  utf8CharStart,
  Utf8Chunker,
  utf8CompleteLength,
} from './lib/utf8.js';
export {
  ByteRing,
} from './lib/ring-buffer.js';
export {
  Screen,
  type ScreenOptions,
  type ScreenStats,
} from './lib/screen.js';
export {
  planSkip,
  type SkipPlan,
} from './lib/skip-plan.js';
export {
  DEFAULT_OUTPUT_BATCHING,
  OutputBatcher,
  type OutputBatching,
} from './lib/output-batcher.js';
export {
  type Disposable,
  type DuplexTerminal,
  fromDuplex,
  type ProcessExit,
  type SpawnFactory,
  spawnNodePty,
  type SpawnRequest,
  type TerminalProcess,
} from './lib/terminal-process.js';
export {
  type AttachOptions,
  type AttachStart,
  type DropReason,
  type ExitReason,
  type SessionExit,
  Viewer,
  type ViewerHost,
  type ViewerMessage,
  type ViewerSink,
} from './lib/viewer.js';
export {
  clampSize,
  type CloseOptions,
  type SessionBackend,
  type SessionEvents,
  type SessionInfo,
  type SessionInit,
  SIZE_LIMITS,
  TerminalSession,
} from './lib/session.js';
export {
  TmuxBackend,
  type TmuxCapture,
  type TmuxOptions,
  type TmuxSessionFound,
} from './lib/tmux.js';
export {
  type CreateSessionOptions,
  PtyManager,
  type PtyManagerEvents,
  type PtyManagerOptions,
} from './lib/pty-manager.js';
