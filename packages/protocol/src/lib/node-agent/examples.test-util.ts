/** One valid example per node agent frame type and body. */
import type { ProtocolExamples } from '../protocol-suite.test-util.js';

const v = 1;
const ts = '2025-01-31T12:00:00.000Z';
const tab = { id: 's-1', name: 'shell', createdAt: ts, lastActivityAt: ts, cols: 80, rows: 24, alive: true };

/** Valid node agent frames and bodies. */
export const nodeAgentExamples: ProtocolExamples = {
  messages: {
    resize: { v, type: 'resize', sessionId: 's-1', cols: 100, rows: 30 },
    attach: { v, type: 'attach', id: 'a-1', sessionId: 's-1', fromOffset: 4096, readOnly: false },
    attached: { v, type: 'attached', id: 'a-1', sessionId: 's-1', offset: 4096, snapshot: false },
    detach: { v, type: 'detach', sessionId: 's-1' },
    ack: { v, type: 'ack', offset: 8192 },
    exit: { v, type: 'exit', sessionId: 's-1', code: 0 },
    tabs: { v, type: 'tabs', tabs: [tab] },
    create: { v, type: 'create', id: 'c-1', cols: 120, rows: 40, name: 'build' },
    created: { v, type: 'created', id: 'c-1', sessionId: 's-2', offset: 0, name: 'build' },
    close: { v, type: 'close', id: 'x-1', sessionId: 's-2', signal: 'SIGTERM' },
    closed: { v, type: 'closed', id: 'x-1', sessionId: 's-2' },
    rename: { v, type: 'rename', id: 'n-1', sessionId: 's-1', name: 'logs' },
    renamed: { v, type: 'renamed', id: 'n-1', sessionId: 's-1', name: 'logs' },
    list: { v, type: 'list' },
    'acp.update': {
      v,
      type: 'acp.update',
      sessionId: 'as-1',
      seq: 3,
      update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'Hello' } },
    },
    'acp.permission.request': {
      v,
      type: 'acp.permission.request',
      id: 'p-1',
      sessionId: 'as-1',
      toolCall: { toolCallId: 'tc-1', title: 'Run npm test' },
      options: [
        { optionId: 'allow', name: 'Allow', kind: 'allow_once' },
        { optionId: 'deny', name: 'Deny', kind: 'reject_once' },
      ],
    },
    'acp.permission.response': {
      v,
      type: 'acp.permission.response',
      id: 'p-1',
      sessionId: 'as-1',
      outcome: { outcome: 'selected', optionId: 'allow' },
    },
    'acp.replay': { v, type: 'acp.replay', id: 'r-1', sessionId: 'as-1', fromSeq: 0 },
    'acp.replay.result': { v, type: 'acp.replay.result', id: 'r-1', sessionId: 'as-1', nextSeq: 4, truncated: false },
    log: { v, type: 'log', ts, level: 'info', source: 'pty-manager', message: 'session started', fields: { sessionId: 's-1' } },
    error: { v, type: 'error', code: 'forbidden', message: 'read-only viewer' },
  },
  bodies: {
    'workspace.create': {
      tenant: 'acme',
      name: 'app',
      image: 'localhost/bosun-test:busybox',
      repo: { url: 'git@example.com:acme/app.git' },
      env: { CI: '1' },
      limits: { cpus: 2 },
      securityProfile: 'standard',
    },
    'workspace.response': {
      workspaceId: 'ws-1',
      tenant: 'acme',
      state: 'ready',
      containerId: 'c0ffee',
      workdir: '/workspace',
      createdAt: ts,
    },
    'workspace.delete': { force: true },
    'agent-session.create': { workspaceId: 'ws-1', agent: 'claude-code', cwd: '/workspace', mcpServers: [] },
    'agent-session.response': { sessionId: 'as-1', workspaceId: 'ws-1', agent: 'claude-code', state: 'idle', createdAt: ts },
    'agent-session.prompt': { text: 'Fix the failing test' },
    'agent-session.cancel': { reason: 'user pressed Esc' },
    'agent-session.stop': {},
    'agent-session.suspend': {},
    'agent-session.resume': {},
    'tabs.list': { tabs: [tab] },
    'logs.list': { entries: [{ ts, level: 'warn', source: 'auth', message: 'token refused' }] },
  },
};
