/**
 * @bosun/terminal-service: owner-scoped terminals for any transport (worker, node
 * agent, SSH agent, CLI): open, attach at an offset, input, resize, close, many
 * viewers, and no shells orphaned in containers after a crash.
 */
export {
  TerminalService,
  type TerminalServiceOptions,
  type OpenTerminalSpec,
  type TerminalInfo,
  type AttachTerminalOptions,
  type TerminalHandle,
  type AliveTerminal,
  type ReconcileReport,
} from './lib/terminal-service.js';
export { normalizeOwner, ownerMatches, type TerminalOwner } from './lib/owner.js';
export { memoryRecordStore, fileRecordStore, type TerminalRecord, type TerminalRecordStore } from './lib/record-store.js';
export {
  TERMINAL_MARKER,
  RUN_MARKER,
  AGENT_MARKER,
  SIGNAL_MARKED_SCRIPT,
  terminalMarkers,
  signalMarkedArgv,
  parseEnded,
  type MarkedSelector,
  type EndedProcess,
} from './lib/container-processes.js';
export { agentIdOf, createTerminalStack, type TerminalStack, type TerminalStackOptions } from './lib/terminal-stack.js';
