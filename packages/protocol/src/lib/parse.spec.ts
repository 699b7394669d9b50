import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, parseMessage, parseMessageOrThrow } from './parse.js';
import { workerProtocol } from './worker/messages.js';

const codeOf = (raw: unknown, opts = {}) => {
  const result = parseMessage(workerProtocol, raw, opts);
  return result.ok ? 'ok' : [result.error.code, result.error.path];
};

describe('parseMessage', () => {
  it('checks size before JSON when both are wrong', () => {
    expect(codeOf('{'.repeat(20), { maxBytes: 10 })).toEqual(['too_large', []]);
  });

  it('measures text as UTF-8 bytes when it has multi-byte characters', () => {
    const text = JSON.stringify({ v: 1, type: 'error', code: 'x', message: 'é'.repeat(600) });
    expect(text.length).toBeLessThan(1000);
    expect(codeOf(text, { maxBytes: 1000 })).toEqual(['too_large', []]);
  });

  it('defaults the size limit to 1 MiB when maxBytes is not given', () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(1024 * 1024);
    expect(codeOf('x'.repeat(1024 * 1024 + 1))).toEqual(['too_large', []]);
  });

  it('answers invalid_json when the text is not JSON or the bytes are not UTF-8', () => {
    expect(codeOf('{"v":1,')).toEqual(['invalid_json', []]);
    expect(codeOf(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual(['invalid_json', []]);
  });

  it('decodes an ArrayBuffer as UTF-8 bytes when the transport hands one over', () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ v: 1, type: 'terminal.close', id: 'a', tenant: 'acme', terminalId: 't' }));
    expect(codeOf(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))).toBe('ok');
  });

  it('answers invalid_field at the root when the JSON is not an object', () => {
    for (const raw of ['[]', 'null', '1', '"x"']) expect(codeOf(raw)).toEqual(['invalid_field', []]);
  });

  it('answers invalid_field at type when type is missing or not a string', () => {
    expect(codeOf({ v: 1 })).toEqual(['invalid_field', ['type']]);
    expect(codeOf({ v: 1, type: 3 })).toEqual(['invalid_field', ['type']]);
  });

  it('checks the type before the version when both are wrong', () => {
    expect(codeOf({ v: 9, type: 'nope' })).toEqual(['unknown_type', ['type']]);
  });

  it('checks the version before the fields when both are wrong', () => {
    expect(codeOf({ v: 2, type: 'terminal.close' })).toEqual(['unsupported_version', ['v']]);
  });

  it('answers invalid_field at v when v is missing', () => {
    expect(codeOf({ type: 'terminal.close', id: 'a', terminalId: 't' })).toEqual(['invalid_field', ['v']]);
  });

  it('reads the id for the error reply when the message is otherwise invalid', () => {
    const result = parseMessage(workerProtocol, { v: 2, type: 'terminal.close', id: 'r-9' });
    expect(!result.ok && result.error.toWire()).toEqual({
      v: 1,
      type: 'error',
      id: 'r-9',
      code: 'unsupported_version',
      message: expect.any(String),
      details: { path: ['v'], received: 2, supported: [1] },
    });
  });

  it('ignores an id when it is not a valid request id', () => {
    const result = parseMessage(workerProtocol, { v: 2, type: 'terminal.close', id: 'x'.repeat(129) });
    expect(!result.ok && result.error.id).toBeUndefined();
  });

  it('returns an invalid_field error instead of throwing when validation blows the stack', () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const result = parseMessage(workerProtocol, { v: 1, type: 'error', code: 'x', message: 'm', details: deep });
    expect(result.ok === true || result.error instanceof ProtocolError).toBe(true);
  });

  it('throws a ProtocolError from the throwing variant when invalid', () => {
    expect(() => parseMessageOrThrow(workerProtocol, 'nope')).toThrow(ProtocolError);
  });
});
