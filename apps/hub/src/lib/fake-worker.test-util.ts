/**
 * A fake worker on a real WebSocket for hub tests. It registers, holds one terminal per
 * id with a deterministic output stream and a ring of `ringBytes`, and serves
 * `terminal.open` like the real worker's bridge: the previous viewer's frames still in
 * flight go out before the `terminal.open.result` (and, optionally, some right after
 * it), then the replay from `fromOffset`
 * (or a `terminal.snapshot` when the offset left the ring), then live output. Input
 * frames are collected; its socket refuses frames above WORKER_MAX_INBOUND_MESSAGE_BYTES
 * like the real worker (the link drops).
 */
import {
  decodeTerminalFrame,
  encodeTerminalFrame,
  parseMessage,
  workerProtocol,
  WORKER_MAX_INBOUND_MESSAGE_BYTES,
  type WorkerToOrchestratorMessage,
} from '@bosun/protocol';
import WebSocket from 'ws';

/** Byte `i` of every fake terminal's output stream. */
export const streamByte = (i: number): number => (i * 131 + (i >>> 9) * 7 + 13) & 0xff;

/** Bytes `[from, to)` of the stream. */
export function streamBytes(from: number, to: number): Buffer {
  const b = Buffer.allocUnsafe(to - from);
  for (let i = from; i < to; i++) b[i - from] = streamByte(i);
  return b;
}

interface FakeTerminal {
  id: string;
  tenant: string;
  produced: number;
  /** Offset the current viewer has sent up to, or undefined when none is attached. */
  viewer: number | undefined;
}

/** Options of {@link startFakeWorker}. */
export interface FakeWorkerOptions {
  url: string;
  token: string;
  /** Ring size (default 1 MiB). */
  ringBytes?: number;
  /** Bytes the previous viewer still sends before each `terminal.open.result` (default 16 KiB). */
  inFlightBytes?: number;
  /**
   * Bytes the previous viewer sends after the `terminal.open.result`, before the replay
   * (a worker whose link queues frames in user space) (default 8 KiB).
   */
  lateInFlightBytes?: number;
  /** Output frame payload size (default 4 KiB). */
  frameBytes?: number;
}

/** A connected fake worker. */
export interface FakeWorker {
  ws: WebSocket;
  terminals: Map<string, FakeTerminal>;
  inputs: { terminalId: string; bytes: number }[];
  input: Buffer[];
  replies: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  /** Adds a terminal owned by `tenant`. */
  addTerminal(id: string, tenant: string): void;
  /** Appends `n` bytes of output, sent through the current viewer if any. */
  produce(id: string, n: number): void;
  /** Sends raw text (for malformed-message tests). */
  sendRaw(text: string): void;
}

/** Connects and registers a fake worker; resolves once `worker.registered` came back. */
export async function startFakeWorker(o: FakeWorkerOptions): Promise<FakeWorker> {
  const ring = o.ringBytes ?? 1024 * 1024;
  const inFlight = o.inFlightBytes ?? 16 * 1024;
  const late = o.lateInFlightBytes ?? 8 * 1024;
  const frame = o.frameBytes ?? 4096;
  const ws = new WebSocket(o.url, ['bosun.v1'], { headers: { authorization: `Bearer ${o.token}` }, maxPayload: WORKER_MAX_INBOUND_MESSAGE_BYTES });
  const terminals = new Map<string, FakeTerminal>();
  const inputs: { terminalId: string; bytes: number }[] = [];
  const input: Buffer[] = [];
  const replies: Record<string, unknown>[] = [];
  const send = (m: WorkerToOrchestratorMessage) => ws.send(JSON.stringify(m));
  const sendFrames = (t: FakeTerminal, from: number, to: number) => {
    for (let at = from; at < to; at += frame) {
      const end = Math.min(to, at + frame);
      ws.send(encodeTerminalFrame({ terminalId: t.id, offset: at, data: streamBytes(at, end) }), { binary: true });
    }
  };
  const produce = (id: string, n: number) => {
    const t = terminals.get(id)!;
    t.produced += n;
    if (t.viewer !== undefined) {
      sendFrames(t, t.viewer, t.produced);
      t.viewer = t.produced;
    }
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  let registered: () => void;
  const done = new Promise<void>((r) => (registered = r));
  ws.on('message', (data, isBinary) => {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      const r = decodeTerminalFrame(bytes);
      if (r.ok && r.frame.kind === 'input') {
        inputs.push({ terminalId: r.frame.terminalId, bytes: r.frame.data.byteLength });
        input.push(Buffer.from(r.frame.data));
      }
      return;
    }
    const parsed = parseMessage(workerProtocol, bytes, { direction: 'toWorker' });
    if (!parsed.ok) {
      replies.push(JSON.parse(bytes.toString()) as Record<string, unknown>);
      return;
    }
    const m = parsed.message;
    replies.push(m as Record<string, unknown>);
    if (m.type === 'worker.registered') return registered();
    if (m.type === 'terminal.open') {
      const t = m.terminalId ? terminals.get(m.terminalId) : undefined;
      if (!t || t.tenant !== m.tenant) {
        return send({ v: 1, type: 'error', id: m.id, code: 'not_found', message: `terminal ${m.terminalId} not found` });
      }
      // The previous viewer's frames still in flight: produced and sent before the reply…
      const hadViewer = t.viewer !== undefined;
      if (hadViewer) produce(t.id, inFlight);
      const lateFrom = t.produced;
      // …and some that its queue only lets out after the reply.
      if (hadViewer) t.produced += late;
      t.viewer = undefined;
      const sendLate = () => hadViewer && sendFrames(t, lateFrom, lateFrom + late);
      const from = m.fromOffset ?? t.produced;
      const ringStart = Math.max(0, t.produced - ring);
      if (from < ringStart) {
        send({ v: 1, type: 'terminal.open.result', id: m.id, terminalId: t.id, offset: t.produced });
        sendLate();
        send({ v: 1, type: 'terminal.snapshot', terminalId: t.id, offset: t.produced, data: `SCREEN@${t.produced}` });
        t.viewer = t.produced;
        return;
      }
      send({ v: 1, type: 'terminal.open.result', id: m.id, terminalId: t.id, offset: from });
      sendLate();
      sendFrames(t, from, t.produced);
      t.viewer = t.produced;
      return;
    }
    if (m.type === 'terminal.resize') {
      const t = terminals.get(m.terminalId);
      if (!t || t.tenant !== m.tenant) return send({ v: 1, type: 'error', id: m.id, code: 'not_found', message: 'no terminal' });
      return send({ v: 1, type: 'terminal.resize.result', id: m.id, terminalId: m.terminalId, cols: m.cols, rows: m.rows });
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  send({
    v: 1,
    type: 'worker.register',
    id: 'reg-1',
    name: 'fake',
    hostname: 'fake.local',
    platform: 'linux',
    cpuCount: 1,
    memoryTotal: 1024,
    containerEngines: [],
    agentVersion: '0.0.0',
    mode: 'byom',
  });
  await done;
  return {
    ws,
    terminals,
    inputs,
    input,
    replies,
    closed,
    addTerminal: (id, tenant) => void terminals.set(id, { id, tenant, produced: 0, viewer: undefined }),
    produce,
    sendRaw: (text) => ws.send(text),
  };
}
