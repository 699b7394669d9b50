import type { ContainerDriver } from '@bosun/container-driver';
import { decodeTerminalFrame, MAX_TERMINAL_INPUT_FRAME_BYTES, WORKER_PROTOCOL_VERSION as V, type WorkerCommand, type WorkerToOrchestratorMessage } from '@bosun/protocol';
import { PtyManager, type ViewerMessage } from '@bosun/pty-manager';
import { TerminalService } from '@bosun/terminal-service';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandError } from './command-handler.js';
import type { Logger } from './logger.js';
import { TerminalBridge, type TerminalLink } from './terminal-bridge.js';

type TerminalCommand = Extract<WorkerCommand, { type: `terminal.${string}` }>;
type Event = { json: WorkerToOrchestratorMessage } | { frame: { terminalId: string; offset: number; text: string } };

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/tmp' };
const managers: PtyManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
});

function recordingLogger(): Logger & { warns: unknown[] } {
  const warns: unknown[] = [];
  const none = () => undefined;
  return { warns, debug: none, info: none, error: none, warn: (obj: object | string, msg?: string) => void warns.push({ obj, msg }) };
}

function setup() {
  const manager = new PtyManager({ baseEnv: ENV, idleGraceMs: 0, closeGraceMs: 500 });
  managers.push(manager);
  const logger = recordingLogger();
  const service = new TerminalService({ manager, driver: {} as ContainerDriver, allowHostShell: true, logger });
  const bridge = new TerminalBridge({ service, logger });
  const events: Event[] = [];
  const link: TerminalLink = {
    send: (m) => void events.push({ json: m }),
    sendBinary: async (f) => {
      const r = decodeTerminalFrame(f);
      if (r.ok && r.frame.kind === 'output') events.push({ frame: { terminalId: r.frame.terminalId, offset: r.frame.offset, text: Buffer.from(r.frame.data).toString('utf8') } });
    },
  };
  bridge.setLink(link);
  /** Handles a command and "sends" its reply the way the runtime does (in the promise chain). */
  const run = (cmd: Record<string, unknown>): Promise<WorkerToOrchestratorMessage> =>
    bridge.handle({ v: V, id: `r${Math.random()}`, ...cmd } as TerminalCommand).then((reply) => {
      events.push({ json: reply });
      return reply;
    });
  const output = (id: string) =>
    events.flatMap((e) => ('frame' in e && e.frame.terminalId === id ? [e.frame.text] : [])).join('');
  return { manager, service, bridge, link, events, run, output, logger };
}

async function waitFor(pred: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CommandError);
    return (err as CommandError).code;
  }
  throw new Error('expected a rejection');
}

describe('TerminalBridge', () => {
  it('answers not_found and leaves the terminal alone when terminal.input, resize, close or a reattach name another tenant', async () => {
    const { run, output, service } = setup();
    const open = (await run({ type: 'terminal.open', tenant: 'tenant-a', cmd: ['/bin/sh'], cols: 80, rows: 24 })) as { terminalId: string };
    const id = open.terminalId;
    expect(await codeOf(run({ type: 'terminal.input', tenant: 'tenant-b', terminalId: id, data: 'echo pwned-$((40+2))\n' }))).toBe('not_found');
    expect(await codeOf(run({ type: 'terminal.resize', tenant: 'tenant-b', terminalId: id, cols: 10, rows: 5 }))).toBe('not_found');
    expect(await codeOf(run({ type: 'terminal.close', tenant: 'tenant-b', terminalId: id }))).toBe('not_found');
    expect(await codeOf(run({ type: 'terminal.open', tenant: 'tenant-b', terminalId: id, cols: 80, rows: 24 }))).toBe('not_found');

    expect(service.get({ tenant: 'tenant-a' }, id)).toMatchObject({ status: 'alive', cols: 80, rows: 24 });
    await run({ type: 'terminal.input', tenant: 'tenant-a', terminalId: id, data: 'echo own-$((6*7))\n' });
    await waitFor(() => output(id).includes('own-42'), 'own output');
    expect(output(id)).not.toContain('pwned-42');
  });

  it('refuses a binary input frame, writes nothing and throttles the log, when this link never attached the terminal', async () => {
    const { bridge, service, events, logger } = setup();
    const owner = { tenant: 'tenant-a' };
    const t = await service.open(owner, { cmd: ['/bin/sh'] });
    const seen: ViewerMessage[] = [];
    service.attach(owner, t.terminalId, { fromOffset: 0, onMessage: (m) => void seen.push(m) });
    const frame = new TextEncoder().encode('echo sneaked-$((40+2))\n');
    for (let i = 0; i < 500; i++) bridge.input(t.terminalId, frame);
    bridge.input('tnothere', frame);

    const errors = events.flatMap((e) => ('json' in e && e.json.type === 'error' ? [e.json] : []));
    expect(errors).toHaveLength(501);
    expect(errors[0]).toMatchObject({ code: 'not_found', details: { terminalId: t.terminalId } });
    expect(logger.warns).toHaveLength(1);
    // The terminal's own input shows up; the refused frames never did.
    service.input(owner, t.terminalId, 'echo marker-$((1+1))\n');
    const text = () => seen.flatMap((m) => (m.type === 'data' ? [m.data.toString('utf8')] : [])).join('');
    await waitFor(() => text().includes('marker-2'), 'marker');
    expect(text()).not.toContain('sneaked-42');
  });

  it('writes binary input for a terminal it attached, refuses it over the frame limit and after the link changed', async () => {
    const { bridge, run, output, events, link } = setup();
    const open = (await run({ type: 'terminal.open', tenant: 'tenant-a', cmd: ['/bin/sh'], cols: 80, rows: 24 })) as { terminalId: string };
    const id = open.terminalId;
    bridge.input(id, new TextEncoder().encode('echo framed-$((2*21))\n'));
    await waitFor(() => output(id).includes('framed-42'), 'framed output');

    bridge.input(id, new Uint8Array(MAX_TERMINAL_INPUT_FRAME_BYTES + 1));
    expect(events.at(-1)).toEqual({ json: expect.objectContaining({ type: 'error', code: 'too_large' }) });

    bridge.setLink({ ...link });
    bridge.input(id, new TextEncoder().encode('echo late\n'));
    expect(events.at(-1)).toEqual({ json: expect.objectContaining({ type: 'error', code: 'not_found' }) });
  });

  it('sends the open result before any frame, then terminal.exit and no viewer_dropped, when a terminal is opened and closed', async () => {
    const { run, events } = setup();
    const open = (await run({ type: 'terminal.open', tenant: 'tenant-a', cmd: ['/bin/sh', '-c', 'echo hello-$((3+4)); exec cat'], cols: 80, rows: 24 })) as { terminalId: string; offset: number };
    expect(open).toMatchObject({ type: 'terminal.open.result', offset: 0 });
    await waitFor(() => events.some((e) => 'frame' in e && e.frame.text.includes('hello-7')), 'first frame');
    const firstFrame = events.findIndex((e) => 'frame' in e);
    const result = events.findIndex((e) => 'json' in e && e.json.type === 'terminal.open.result');
    expect(result).toBeLessThan(firstFrame);

    await run({ type: 'terminal.close', tenant: 'tenant-a', terminalId: open.terminalId, signal: 'SIGKILL' });
    const types = events.flatMap((e) => ('json' in e ? [e.json.type] : []));
    expect(types.slice(-2)).toEqual(['terminal.exit', 'terminal.close.result']);
    expect(events.some((e) => 'json' in e && e.json.type === 'error')).toBe(false);
  });

  it('refuses a host shell with forbidden when the service does not allow one', async () => {
    const manager = new PtyManager({ baseEnv: ENV, idleGraceMs: 0 });
    managers.push(manager);
    const bridge = new TerminalBridge({ manager, driver: {} as ContainerDriver, logger: recordingLogger() });
    bridge.setLink({ send: () => undefined, sendBinary: async () => undefined });
    expect(await codeOf(bridge.handle({ v: V, id: 'o1', type: 'terminal.open', tenant: 'tenant-a', cols: 80, rows: 24 }))).toBe('forbidden');
    expect(manager.list()).toEqual([]);
  });
});
