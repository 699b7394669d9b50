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
