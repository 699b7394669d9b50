import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from './index.js';

describe('logger', () => {
  it('accepts a pino logger as a Logger and writes through it', () => {
    let out = '';
    const sink = new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) });
    const log: Logger = pino({ level: 'debug' }, sink);
    log.warn({ code: 'x' }, 'careful');
    log.info('plain');
    expect(out).toContain('"msg":"careful"');
    expect(out).toContain('"code":"x"');
    expect(out).toContain('"msg":"plain"');
  });

  it('drops everything and cannot be changed when silent', () => {
    expect(() => silentLogger.error({ a: 1 }, 'ignored')).not.toThrow();
    expect(Object.isFrozen(silentLogger)).toBe(true);
  });
});
