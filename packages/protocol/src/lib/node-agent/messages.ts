/** The node agent protocol: WebSocket frames per direction, and REST bodies. */
import { z } from 'zod';
import { errorSchema } from '../envelope.js';
import { defineProtocol } from '../protocol.js';
import { NODE_AGENT_PROTOCOL_VERSION } from '../versions.js';
import * as a from './acp.js';
import * as l from './logs.js';
import * as r from './rest.js';
import * as t from './terminal.js';

/** The node agent protocol's error frame. */
export const NodeAgentErrorSchema = errorSchema(NODE_AGENT_PROTOCOL_VERSION);
/** A {@link NodeAgentErrorSchema} frame. */
export type NodeAgentError = z.infer<typeof NodeAgentErrorSchema>;

/** Viewer → node agent (WebSocket text frames). */
export const ViewerToNodeAgentMessageSchema = z.discriminatedUnion('type', [
  t.TerminalResizeFrameSchema,
  t.TerminalAttachFrameSchema,
  t.TerminalDetachFrameSchema,
  t.TerminalAckFrameSchema,
  t.TerminalCreateFrameSchema,
  t.TerminalCloseFrameSchema,
  t.TerminalRenameFrameSchema,
  t.TerminalListFrameSchema,
  a.AcpPermissionResponseFrameSchema,
  a.AcpReplayFrameSchema,
  NodeAgentErrorSchema,
]);
/** Any frame a viewer sends to the node agent. */
export type ViewerToNodeAgentMessage = z.infer<typeof ViewerToNodeAgentMessageSchema>;

/** Node agent → viewer (WebSocket text frames). */
export const NodeAgentToViewerMessageSchema = z.discriminatedUnion('type', [
  t.TerminalAttachedFrameSchema,
  t.TerminalExitFrameSchema,
  t.TabsFrameSchema,
  t.TerminalCreatedFrameSchema,
  t.TerminalClosedFrameSchema,
  t.TerminalRenamedFrameSchema,
  a.AcpUpdateFrameSchema,
  a.AcpPermissionRequestFrameSchema,
  a.AcpReplayResultFrameSchema,
  l.LogFrameSchema,
  NodeAgentErrorSchema,
]);
/** Any frame the node agent sends to a viewer. */
export type NodeAgentToViewerMessage = z.infer<typeof NodeAgentToViewerMessageSchema>;

/**
 * The node agent protocol. Directions: `toAgent` (what the node agent parses) and
 * `toViewer`. Bodies are keyed `<resource>.<action>[.response]`.
 */
export const nodeAgentProtocol = defineProtocol({
  name: 'node-agent',
  directions: {
    toAgent: ViewerToNodeAgentMessageSchema,
    toViewer: NodeAgentToViewerMessageSchema,
  },
  bodies: {
    'workspace.create': r.WorkspaceCreateBodySchema,
    'workspace.response': r.WorkspaceBodySchema,
    'workspace.delete': r.WorkspaceDeleteBodySchema,
    'agent-session.create': r.AgentSessionCreateBodySchema,
    'agent-session.response': r.AgentSessionBodySchema,
    'agent-session.prompt': r.AgentSessionPromptBodySchema,
    'agent-session.cancel': r.AgentSessionCancelBodySchema,
    'agent-session.stop': r.AgentSessionStopBodySchema,
    'agent-session.suspend': r.AgentSessionSuspendBodySchema,
    'agent-session.resume': r.AgentSessionResumeBodySchema,
    'tabs.list': t.TabListBodySchema,
    'logs.list': l.LogListBodySchema,
  },
});
