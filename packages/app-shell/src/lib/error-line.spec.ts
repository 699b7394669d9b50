import { describe, expect, it } from 'vitest';
import { errorLine, errorSummary, messageOf } from './error-line.js';

describe('errorLine', () => {
  it('replaces commander\'s "error:" with the app name when given a parser error', () => {
    expect(errorLine('bosun', "error: unknown option '--jsn'\n(Did you mean --json?)\n")).toBe("bosun: unknown option '--jsn' (Did you mean --json?)\n");
  });

  it('folds every line break into one line when the message has several', () => {
    expect(errorLine('bosun-worker', 'a\r\n\n  b\n')).toBe('bosun-worker: a b\n');
  });

  it('still prints a line when the message is empty', () => {
    expect(errorLine('bosun', '')).toBe('bosun: failed\n');
  });
});

describe('messageOf', () => {
  it('reads the message of an Error, the name of one without, and the text of anything else', () => {
    expect(messageOf(new Error('boom'))).toBe('boom');
    expect(messageOf(new TypeError())).toBe('TypeError');
    expect(messageOf('plain')).toBe('plain');
    expect(messageOf({ code: 'x' })).toBe('{"code":"x"}');
    expect(messageOf(undefined)).toBe('undefined');
  });
});

describe('errorSummary', () => {
  it('keeps type, message and code but no stack when withStack is false', () => {
    const e = Object.assign(new Error('no engine'), { code: 'engine_unavailable' });
    expect(errorSummary(e, false)).toEqual({ type: 'Error', message: 'no engine', code: 'engine_unavailable' });
  });

  it('adds the stack when withStack is true', () => {
    expect(errorSummary(new Error('x'), true).stack).toMatch(/error-line\.spec\.ts/);
  });

  it('describes a thrown non-error when given one', () => {
    expect(errorSummary('nope', true)).toEqual({ type: 'string', message: 'nope' });
  });
});
