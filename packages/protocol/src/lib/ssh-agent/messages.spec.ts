import { describe, expect, it } from 'vitest';
import { parseMessage } from '../parse.js';
import { describeProtocol } from '../protocol-suite.test-util.js';
import { sshAgentExamples } from './examples.test-util.js';
import { sshAgentProtocol } from './messages.js';

describeProtocol(sshAgentProtocol, sshAgentExamples);

describe('sshAgentProtocol', () => {
  it.each([['Container/List'], ['container//list'], ['/x'], ['']])('rejects the method %j when it is not noun/verb', (method) => {
    const result = parseMessage(sshAgentProtocol, { ...sshAgentExamples.messages['rpc'], method });
    expect(!result.ok && result.error.path).toEqual(['method']);
  });

  it('answers unsupported_version with the hello id when the handshake has another version', () => {
    const result = parseMessage(sshAgentProtocol, { ...sshAgentExamples.messages['attach.hello'], v: 2 }, { direction: 'toAgent' });
    expect(!result.ok && result.error.toWire()).toMatchObject({ type: 'error', id: 'h', code: 'unsupported_version' });
  });
});
