import { WORKER_PROTOCOL_VERSION as V } from '@bosun/protocol';
import type { Logger } from 'pino';
import type { WorkerRegistry } from './worker-registry.js';

/** One browser (or API client) watching a terminal. */
export interface TerminalClient {
  /** Offset of the next byte this client needs. */
  pos: number;
  /** Output bytes, contiguous from the client's `pos`. */
  sendBytes(data: Uint8Array): void;
  /** JSON control messages: attached, snapshot, exit, waiting, error. */
  sendControl(msg: Record<string, unknown>): void;
}

interface Fanout {
  workerId: string;
  terminalId: string;
  tenant: string;
  clients: Set<TerminalClient>;
  attaching: boolean;
}

/**
 * Relays terminal output from workers to browser clients. Each client holds its own
 * offset; the hub asks the worker to (re)attach from the lowest offset any client of the
 * terminal needs and hands each client only the bytes past its own offset, so a client
 * never sees a gap or a duplicate, whoever joined or reconnected in between. The hub keeps
 * no output of its own: after a hub restart, clients come back with their offsets and the
 * worker replays from there.
 */
export class TerminalRelay {
  private readonly fanouts = new Map<string, Fanout>();

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly logger: Logger,
  ) {
    registry.relay = this;
  }

  private key(workerId: string, terminalId: string): string {
    return `${workerId}\u0000${terminalId}`;
  }

  /** Adds a client to a terminal and (re)attaches the worker from the lowest offset needed. */
  async join(workerId: string, tenant: string, terminalId: string, client: TerminalClient): Promise<void> {
    const k = this.key(workerId, terminalId);
    let f = this.fanouts.get(k);
    if (!f) {
      f = { workerId, terminalId, tenant, clients: new Set(), attaching: false };
      this.fanouts.set(k, f);
    }
    f.clients.add(client);
    await this.attach(f);
  }

  /** Removes a client; the worker keeps the terminal running. */
  leave(workerId: string, terminalId: string, client: TerminalClient): void {
    const k = this.key(workerId, terminalId);
    const f = this.fanouts.get(k);
    if (!f) return;
    f.clients.delete(client);
    if (f.clients.size === 0) this.fanouts.delete(k);
  }

  private async attach(f: Fanout): Promise<void> {
    if (!this.registry.isOnline(f.workerId)) {
      for (const c of f.clients) c.sendControl({ type: 'waiting', reason: 'worker offline' });
      return;
    }
    const fromOffset = Math.min(...[...f.clients].map((c) => c.pos));
    f.attaching = true;
    try {
      const reply = await this.registry.request(f.workerId, {
        v: V,
        type: 'terminal.open',
        id: this.registry.nextId(),
        tenant: f.tenant,
        terminalId: f.terminalId,
        cols: 80,
        rows: 24,
        fromOffset,
      });
      if (reply.type === 'error') {
        for (const c of f.clients) c.sendControl({ type: 'error', code: reply.code, message: reply.message });
        return;
      }
      if (reply.type === 'terminal.open.result' && reply.offset < fromOffset) {
        // The worker's stream is shorter than what clients saw: the terminal was re-adopted
        // after a worker restart (tmux) and its offsets began again. Move clients to the new stream.
        for (const c of f.clients) {
          c.sendControl({ type: 'resync', offset: reply.offset });
          c.pos = reply.offset;
        }
      }
      for (const c of f.clients) c.sendControl({ type: 'attached', terminalId: f.terminalId, offset: c.pos });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, terminalId: f.terminalId }, 'terminal attach failed');
      for (const c of f.clients) c.sendControl({ type: 'waiting', reason: (err as Error).message });
    } finally {
      f.attaching = false;
    }
  }

  /** Output from a worker: each client gets exactly the part past its own offset. */
  onOutput(workerId: string, terminalId: string, offset: number, data: Uint8Array): void {
    const f = this.fanouts.get(this.key(workerId, terminalId));
    if (!f) return;
    const end = offset + data.byteLength;
    for (const c of f.clients) {
      if (end <= c.pos) continue; // already has it
      if (offset > c.pos) {
        // The worker's stream started after this client's offset (it got a snapshot meanwhile): skip ahead.
        this.logger.warn({ terminalId, offset, pos: c.pos }, 'gap in terminal output; client resynchronised');
        c.sendControl({ type: 'resync', offset });
        c.pos = offset;
      }
      c.sendBytes(data.subarray(c.pos - offset));
      c.pos = end;
    }
  }

  /** The offset had left the worker's buffer: clients behind it get the screen instead. */
  onSnapshot(workerId: string, terminalId: string, offset: number, data: string): void {
    const f = this.fanouts.get(this.key(workerId, terminalId));
    if (!f) return;
    for (const c of f.clients) {
      if (c.pos < offset) {
        c.sendControl({ type: 'snapshot', offset, data });
        c.pos = offset;
      }
    }
  }

  onExit(workerId: string, terminalId: string, exitCode: number | null): void {
    const f = this.fanouts.get(this.key(workerId, terminalId));
    if (!f) return;
    for (const c of f.clients) c.sendControl({ type: 'exit', exitCode });
  }

  /** The worker dropped its viewer (we were too slow): attach again from where clients are. */
  onViewerDropped(workerId: string, terminalId: string): void {
    const f = this.fanouts.get(this.key(workerId, terminalId));
    if (f && !f.attaching) void this.attach(f);
  }

  onWorkerGone(workerId: string): void {
    for (const f of this.fanouts.values()) {
      if (f.workerId === workerId) for (const c of f.clients) c.sendControl({ type: 'waiting', reason: 'worker disconnected' });
    }
  }

  /** A worker (re)registered: reattach every terminal its clients still watch. */
  onWorkerBack(workerId: string): void {
    for (const f of this.fanouts.values()) if (f.workerId === workerId) void this.attach(f);
  }
}
