/** One valid example per SSH agent message type. */
import type { ProtocolExamples } from '../protocol-suite.test-util.js';

const v = 1;

/** Valid SSH agent messages. */
export const sshAgentExamples: ProtocolExamples = {
  messages: {
    rpc: { v, type: 'rpc', id: '1', method: 'container/list', params: { tenant: 'acme' } },
    'rpc.result': { v, type: 'rpc.result', id: '1', result: { containers: [] } },
    'attach.hello': { v, type: 'attach.hello', id: 'h', sessionId: 's-1', fromOffset: 10, cols: 80, rows: 24, readOnly: true },
    'attach.ready': { v, type: 'attach.ready', id: 'h', offset: 10, snapshot: false },
    status: { v, type: 'status', state: 'ready', containers: 3, detail: 'podman 4.3', ts: '2025-01-31T12:00:00Z' },
    error: { v, type: 'error', id: '1', code: 'method_not_found', message: 'no method container/explode' },
  },
};
