import { describe, expect, it } from 'vitest';
import { parseMessage } from '../parse.js';
import { describeProtocol } from '../protocol-suite.test-util.js';
import { WORKER_PROTOCOL_VERSION } from '../versions.js';
import { workerExamples } from './examples.test-util.js';
import { WORKER_COMMANDS, workerProtocol } from './messages.js';

describeProtocol(workerProtocol, { messages: workerExamples });

describe('workerProtocol', () => {
  it('has a request and a .result reply for every command when defined', () => {
    for (const command of WORKER_COMMANDS) {
      expect(workerProtocol.typesByDirection.toWorker.has(command)).toBe(true);
      expect(workerProtocol.typesByDirection.toOrchestrator.has(`${command}.result`)).toBe(true);
    }
  });

  it('is version 1 when built', () => {
    expect(WORKER_PROTOCOL_VERSION).toBe(1);
    expect(workerProtocol.version).toBe(1);
  });

  it('narrows the message type when a direction is given', () => {
    const result = parseMessage(workerProtocol, workerExamples['container.create'], { direction: 'toWorker' });
    expect(result.ok).toBe(true);
    if (result.ok && result.message.type === 'container.create') {
      expect(result.message.limits?.memoryBytes).toBe(512 * 1024 * 1024);
    }
  });

  it('names the nested field when a limit is invalid', () => {
    const message = { ...workerExamples['container.create'], limits: { memoryBytes: -1 } };
    const result = parseMessage(workerProtocol, JSON.stringify(message), { direction: 'toWorker' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('invalid_field');
      expect(result.error.path).toEqual(['limits', 'memoryBytes']);
      expect(result.error.id).toBe('req-1');
      expect(result.error.toWire()).toMatchObject({
        v: 1,
        type: 'error',
        id: 'req-1',
        code: 'invalid_field',
        details: { path: ['limits', 'memoryBytes'] },
      });
    }
  });

  it.each([
    ['../etc/passwd'],
    ['/abs/CLAUDE.md'],
    ['a/../../b'],
    ['..'],
    ['.'],
    ['dir/'],
    ['a\\b'],
    [''],
  ])('rejects the instructions file name %j when it could leave the workdir', (fileName) => {
    const message = { ...workerExamples['container.setup'], instructions: { fileName, content: 'x' } };
    const result = parseMessage(workerProtocol, message);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.path).toEqual(['instructions', 'fileName']);
  });

  it.each([['CLAUDE.md'], ['AGENTS.md'], ['.github/copilot-instructions.md'], ['docs/..hidden'], ['./x.md']])(
    'accepts the instructions file name %j when it stays inside the workdir',
    (fileName) => {
      const message = { ...workerExamples['container.setup'], instructions: { fileName, content: 'x' } };
      expect(parseMessage(workerProtocol, message).ok).toBe(true);
    },
  );

  it.each([
    [{ cols: 0 }, 'cols'],
    [{ rows: 1001 }, 'rows'],
    [{ cols: 1.5 }, 'cols'],
  ])('rejects terminal size %j when outside 1..1000', (patch, field) => {
    const result = parseMessage(workerProtocol, { ...workerExamples['terminal.resize'], ...patch });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.path).toEqual([field]);
  });

  it('rejects a base64 tar context when it is not base64', () => {
    const message = { ...workerExamples['image.build'], context: { type: 'tar', base64: 'not base64!' } };
    const result = parseMessage(workerProtocol, message);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.path).toEqual(['context', 'base64']);
  });

  it('keeps unknown capability keys when the probe reports more than this version knows', () => {
    const result = parseMessage(workerProtocol, workerExamples['worker.register'], { direction: 'toOrchestrator' });
    expect(result.ok && result.message.type === 'worker.register' && result.message.capabilities).toMatchObject({
      futureProbe: { anything: true },
    });
  });

  it('rejects a resource id when it could traverse a path', () => {
    const result = parseMessage(workerProtocol, { ...workerExamples['terminal.close'], terminalId: '../x' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.path).toEqual(['terminalId']);
  });
});
