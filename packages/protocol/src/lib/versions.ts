/**
 * Protocol names and their integer versions, in one place so that the error class
 * can build a protocol's error reply without importing the protocol's schemas.
 *
 * A version changes only when an existing message changes incompatibly; adding a
 * message type is also a version bump, because every parser rejects unknown types.
 */

/** Version of the worker ⇄ orchestrator protocol, checked at `worker.register`. */
export const WORKER_PROTOCOL_VERSION = 1;
/** Version of the node agent's HTTP + WebSocket protocol. */
export const NODE_AGENT_PROTOCOL_VERSION = 1;
/** Version of the SSH agent's `rpc` and `attach` subsystems, checked at `attach.hello`. */
export const SSH_AGENT_PROTOCOL_VERSION = 1;
/** Version of the one-shot jobs protocol (job input/output and the job stream). */
export const JOBS_PROTOCOL_VERSION = 1;
/** Version of the CLI ⇄ hub protocol (tasks and tunnels; RFC 8628 bodies are unversioned). */
export const HUB_PROTOCOL_VERSION = 1;
/** Version of the terminal viewer protocol (the hub's `/ws/terminal` control frames). */
export const VIEWER_PROTOCOL_VERSION = 1;

/** The protocols this package describes. */
export const PROTOCOL_NAMES = ['worker', 'node-agent', 'ssh-agent', 'jobs', 'hub', 'viewer'] as const;

/** Name of one protocol. */
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** Current version of each protocol, by name. */
export const PROTOCOL_VERSIONS: Readonly<Record<ProtocolName, number>> = Object.freeze({
  worker: WORKER_PROTOCOL_VERSION,
  'node-agent': NODE_AGENT_PROTOCOL_VERSION,
  'ssh-agent': SSH_AGENT_PROTOCOL_VERSION,
  jobs: JOBS_PROTOCOL_VERSION,
  hub: HUB_PROTOCOL_VERSION,
  viewer: VIEWER_PROTOCOL_VERSION,
});
