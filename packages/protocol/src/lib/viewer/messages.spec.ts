import { describe, expect, it } from 'vitest';
import { parseMessage } from '../parse.js';
import { describeProtocol } from '../protocol-suite.test-util.js';
import { viewerExamples } from './examples.test-util.js';
import { viewerProtocol } from './messages.js';

describeProtocol(viewerProtocol, viewerExamples);

describe('viewer protocol', () => {
  it('refuses a hub-bound frame when it is a hub → viewer type', () => {
    const r = parseMessage(viewerProtocol, { v: 1, type: 'attached', terminalId: 't1', offset: 0 }, { direction: 'toHub' });
    expect(!r.ok && r.error.code).toBe('unknown_type');
  });

  it('refuses a control frame when v is missing', () => {
    const r = parseMessage(viewerProtocol, JSON.stringify({ type: 'resize', cols: 80, rows: 24 }), { direction: 'toHub' });
    expect(!r.ok && r.error.path).toEqual(['v']);
  });

  it('names the field when a resize is out of range', () => {
    const r = parseMessage(viewerProtocol, { v: 1, type: 'resize', cols: 0, rows: 24 }, { direction: 'toHub' });
    expect(!r.ok && r.error.path).toEqual(['cols']);
  });
});
