/** Every protocol of this package, for tools that walk them all (JSON Schema export, tests). */
import { hubProtocol } from './hub/messages.js';
import { jobsProtocol } from './jobs/stream.js';
import { nodeAgentProtocol } from './node-agent/messages.js';
import type { Protocol } from './protocol.js';
import { sshAgentProtocol } from './ssh-agent/messages.js';
import { viewerProtocol } from './viewer/messages.js';
import { workerProtocol } from './worker/messages.js';

/** All protocols, in the order of the design document. */
export const ALL_PROTOCOLS: readonly Protocol[] = Object.freeze([
  workerProtocol,
  nodeAgentProtocol,
  sshAgentProtocol,
  jobsProtocol,
  hubProtocol,
  viewerProtocol,
]);
