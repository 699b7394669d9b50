import { describe, expect, it } from 'vitest';
import { parseBody, parseMessage } from '../parse.js';
import { describeProtocol } from '../protocol-suite.test-util.js';
import { nodeAgentExamples } from './examples.test-util.js';
import { nodeAgentProtocol } from './messages.js';

describeProtocol(nodeAgentProtocol, nodeAgentExamples);

describe('nodeAgentProtocol', () => {
  it('accepts control frames without sessionId when the socket is single-session', () => {
    expect(parseMessage(nodeAgentProtocol, { v: 1, type: 'resize', cols: 80, rows: 24 }, { direction: 'toAgent' }).ok).toBe(true);
    expect(parseMessage(nodeAgentProtocol, { v: 1, type: 'exit', code: null }, { direction: 'toViewer' }).ok).toBe(true);
  });

  it('accepts the multi-socket requests with only their required fields when optional ones are left out', () => {
    for (const m of [{ type: 'create' }, { type: 'close', sessionId: 's-1' }, { type: 'rename', sessionId: 's-1', name: 'x' }, { type: 'list' }]) {
      expect(parseMessage(nodeAgentProtocol, { v: 1, ...m }, { direction: 'toAgent' }).ok).toBe(true);
    }
  });

  it('rejects a close with a signal outside the allowed set and a rename to an empty or overlong name', () => {
    const close = parseMessage(nodeAgentProtocol, { v: 1, type: 'close', sessionId: 's-1', signal: 'SIGSTOP' }, { direction: 'toAgent' });
    expect(!close.ok && close.error.path).toEqual(['signal']);
    for (const name of ['', 'x'.repeat(129)]) {
      const r = parseMessage(nodeAgentProtocol, { v: 1, type: 'rename', sessionId: 's-1', name }, { direction: 'toAgent' });
      expect(!r.ok && r.error.path).toEqual(['name']);
    }
  });

  it('keeps agent replies out of the viewer → agent direction when a viewer sends one', () => {
    const r = parseMessage(nodeAgentProtocol, { v: 1, type: 'created', sessionId: 's-1', offset: 0, name: 'sh' }, { direction: 'toAgent' });
    expect(!r.ok && r.error.code).toBe('unknown_type');
  });

  it('rejects a prompt body when it has both text and content', () => {
    const result = parseBody(nodeAgentProtocol, 'agent-session.prompt', { text: 'a', content: [{}] });
    expect(result.ok).toBe(false);
  });

  it('accepts a prompt body when it is ACP content blocks', () => {
    const result = parseBody(nodeAgentProtocol, 'agent-session.prompt', { content: [{ type: 'text', text: 'hi' }] });
    expect(result.ok).toBe(true);
  });

  it('rejects a permission response when the outcome is selected without an option', () => {
    const message = { ...nodeAgentExamples.messages['acp.permission.response'], outcome: { outcome: 'selected' } };
    const result = parseMessage(nodeAgentProtocol, message);
    expect(!result.ok && result.error.path).toEqual(['outcome', 'optionId']);
  });
});
