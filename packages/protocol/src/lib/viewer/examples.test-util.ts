/** One valid example per viewer message type. */
import type { ProtocolExamples } from '../protocol-suite.test-util.js';

const v = 1;

/** Valid viewer messages. */
export const viewerExamples: ProtocolExamples = {
  messages: {
    input: { v, type: 'input', data: 'echo hi\r' },
    resize: { v, type: 'resize', cols: 120, rows: 40 },
    terminal: { v, type: 'terminal', terminalId: 't0123456789abcdef', offset: 0 },
    attached: { v, type: 'attached', terminalId: 't0123456789abcdef', offset: 4096 },
    snapshot: { v, type: 'snapshot', offset: 2_000_000, data: '\u001b[H\u001b[2J$ ' },
    resync: { v, type: 'resync', offset: 100, reason: 'terminal re-adopted' },
    exit: { v, type: 'exit', exitCode: null, signal: 'SIGKILL' },
    waiting: { v, type: 'waiting', reason: 'worker offline' },
    dropped: { v, type: 'dropped', code: 'slow_consumer', offset: 123_456, message: 'fell 4 MiB behind' },
    error: { v, type: 'error', code: 'not_found', message: 'terminal t1 not found' },
  },
};
