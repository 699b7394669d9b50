import { describe, expect, it } from 'vitest';
import { jsonTextDepth, valueDepth } from './depth.js';
import { parseMessage } from './parse.js';
import { workerProtocol } from './worker/messages.js';
import { WORKER_PROTOCOL_VERSION } from './versions.js';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('depth', () => {
  it('counts brackets outside strings only when measuring text', () => {
    expect(jsonTextDepth('{"a":[1,{"b":"[[[{{"}]}')).toBe(3);
    expect(jsonTextDepth('"\\"[["')).toBe(0);
    expect(jsonTextDepth(nested(100_000), 64)).toBe(65);
  });

  it('measures a decoded value without recursion when it is very deep', () => {
    let v: unknown = 1;
    for (let i = 0; i < 200_000; i++) v = { c: v };
    expect(valueDepth(v, 10)).toBe(11);
    expect(valueDepth({ a: [{ b: {} }] })).toBe(4);
  });
});

describe('parseMessage depth bound', () => {
  const register = (capabilities: unknown) => ({
    v: WORKER_PROTOCOL_VERSION,
    type: 'worker.register',
    id: 'r',
    name: 'w',
    hostname: 'h',
    platform: 'linux',
    cpuCount: 1,
    memoryTotal: 1,
    containerEngines: [],
    agentVersion: '1',
    mode: 'byom',
    capabilities,
  });

  it('answers too_deep when a worker nests capabilities 200 KB deep', () => {
    const text = JSON.stringify(register({})).replace('"capabilities":{}', `"capabilities":{"x":${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}}`);
    const r = parseMessage(workerProtocol, text, { direction: 'toOrchestrator', maxBytes: 4 * 1024 * 1024 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.toWire()).toMatchObject({ code: 'too_deep', id: 'r' });
  });

  it('refuses capabilities deeper than the open-object bound even inside the message bound', () => {
    let caps: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 12; i++) caps = { n: caps };
    const r = parseMessage(workerProtocol, JSON.stringify(register(caps)), { direction: 'toOrchestrator' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('invalid_field');
  });

  it('accepts ordinary capabilities when they are shallow', () => {
    const r = parseMessage(workerProtocol, JSON.stringify(register({ runtimes: [{ name: 'node', version: '20' }], extra: { a: { b: 1 } } })), {
      direction: 'toOrchestrator',
    });
    expect(r.ok).toBe(true);
  });

  it('refuses a decoded value that is too deep when handed over already parsed', () => {
    let v: unknown = {};
    for (let i = 0; i < 100; i++) v = { a: v };
    const r = parseMessage(workerProtocol, { ...register({}), capabilities: v });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('too_deep');
  });
});
