import { WORKER_PROTOCOL_VERSION as V, type HubToViewerBody, type WorkerToOrchestratorMessage } from '@bosun/protocol';
import type { Logger } from '@bosun/logger';
import type { WorkerRegistry, WorkerTerminalEvents } from './worker-registry.js';

/** One viewer (browser, API client) watching a terminal, as the relay sees it. */
export interface RelayClient {
  /** Offset of the next byte this client needs. The relay moves it. */
  pos: number;
  /**
   * True once an attach of this client's fan-out succeeded with its offset covered; set
   * by the relay. Output and input flow only while it is true.
   */
  attached: boolean;
  /** Output bytes, contiguous from the client's `pos`. */
  sendBytes(data: Uint8Array): void;
  /** A control message of the viewer protocol (the sender adds `v`). */
  sendControl(msg: HubToViewerBody): void;
  /** The worker refused the attach (or the terminal is gone): send the error and close. */
  refuse(code: string, message: string): void;
  /** The worker was revoked: tell the client and close. */
  revoked(): void;
}

interface Fanout {
  key: string;
  workerId: string;
  tenant: string;
  terminalId: string;
  clients: Set<RelayClient>;
  attaching: boolean;
  /** Another attach is needed when the current one ends (a client joined or a gap was seen meanwhile). */
  again: boolean;
  /**
   * Clients a snapshot is on its way to, with the offset it stands for: the next attach of
   * the same loop counts them there, so it asks for the next client's offset instead.
   */
  snapshotFor: Map<RelayClient, number>;
}

/**
 * A terminal the relay has seen through its viewers, as `GET /api/terminals` lists it.
 * Read-only copies; the relay keeps at most {@link MAX_KNOWN_TERMINALS}.
 */
export interface KnownTerminal {
  workerId: string;
  tenant: string;
  terminalId: string;
  /** End of the output the worker reported (attach reply or last output frame), bytes. */
  offset: number;
  /** Viewers watching it through this hub now. */
  viewers: number;
  /** `ended` once the worker said the process exited or the terminal is gone (`not_found` on attach). */
  state: 'alive' | 'ended';
  exitCode?: number | null;
  signal?: string;
  /** Why it ended, in words. */
  reason?: string;
}

/** Most terminals {@link TerminalRelay.terminals} remembers (ended ones are forgotten first, then the oldest). */
export const MAX_KNOWN_TERMINALS = 1000;

/** Counters for tests and metrics. */
export interface RelayStats {
  /** Output frames dropped because they would have left a gap for some client. */
  gapsDropped: number;
  /** `terminal.open` reattaches sent. */
  attaches: number;
}

const tkey = (workerId: string, terminalId: string) => `${workerId}\u0000${terminalId}`;
const REFUSALS = new Set(['not_found', 'forbidden', 'invalid_field', 'invalid_argument']);

/**
 * Relays terminal output from workers to viewers. Each client holds its own offset; the
 * hub asks the worker to (re)attach from the lowest offset any client of the fan-out
 * needs and hands each client only the bytes past its own offset.
 *
 * Never skips: a frame that starts past a client's offset (a frame of the worker's
 * previous viewer still in flight, or output after a drop) is dropped for that client,
 * and when no attach is in progress a reattach from the lowest offset is requested; the
 * replay then fills the hole. A client moves ahead only through an explicit `snapshot`
 * (its offset had left the worker's buffer) and back only through `resync`.
 *
 * Fan-outs are keyed by worker, tenant and terminal; a client gets output and may send
 * input only after an attach for its tenant succeeded (the worker checks the owner).
 * The hub keeps no output: after a hub restart clients come back with their offsets.
 */
export class TerminalRelay implements WorkerTerminalEvents {
  private readonly fanouts = new Map<string, Fanout>();
  private readonly byTerminal = new Map<string, Set<Fanout>>();
  private readonly of = new Map<RelayClient, Fanout>();
  /** Terminals seen, by fan-out key, oldest first (a Map keeps insertion order). */
  private readonly known = new Map<string, KnownTerminal>();
  readonly stats: RelayStats = { gapsDropped: 0, attaches: 0 };

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly logger: Logger,
  ) {
    registry.relay = this;
  }

  /** Adds a client to a terminal of `tenant` and (re)attaches the worker from the lowest offset needed; resolves when that attach ends. */
  join(workerId: string, tenant: string, terminalId: string, client: RelayClient): Promise<void> {
    const key = `${workerId}\u0000${tenant}\u0000${terminalId}`;
    let f = this.fanouts.get(key);
    if (!f) {
      f = { key, workerId, tenant, terminalId, clients: new Set(), attaching: false, again: false, snapshotFor: new Map() };
      this.fanouts.set(key, f);
      const t = tkey(workerId, terminalId);
      const set = this.byTerminal.get(t) ?? new Set();
      set.add(f);
      this.byTerminal.set(t, set);
    }
    client.attached = false;
    f.clients.add(client);
    this.of.set(client, f);
    this.remember(f);
    return this.attach(f);
  }

  /** Removes a client; the worker keeps the terminal running. */
  leave(client: RelayClient): void {
    const f = this.of.get(client);
    if (!f) return;
    this.of.delete(client);
    f.clients.delete(client);
    client.attached = false;
    if (f.clients.size > 0) return;
    this.fanouts.delete(f.key);
    const t = tkey(f.workerId, f.terminalId);
    const set = this.byTerminal.get(t);
    set?.delete(f);
    if (set?.size === 0) this.byTerminal.delete(t);
  }

  /**
   * Terminals this hub's viewers opened or resumed (alive or ended), oldest first: what
   * a reloaded page reattaches to. The hub keeps no output, only these facts.
   */
  terminals(): KnownTerminal[] {
    return [...this.known.entries()].map(([key, t]) => ({ ...t, viewers: this.fanouts.get(key)?.clients.size ?? 0 }));
  }

  private remember(f: Fanout): KnownTerminal {
    const had = this.known.get(f.key);
    if (had) return had;
    const t: KnownTerminal = { workerId: f.workerId, tenant: f.tenant, terminalId: f.terminalId, offset: 0, viewers: 0, state: 'alive' };
    this.known.set(f.key, t);
    if (this.known.size > MAX_KNOWN_TERMINALS) {
      const victim = [...this.known.entries()].find(([k, v]) => v.state === 'ended' && k !== f.key) ?? [...this.known.entries()].find(([k]) => k !== f.key && !this.fanouts.has(k));
      if (victim) this.known.delete(victim[0]);
    }
    return t;
  }

  private ended(workerId: string, terminalId: string, facts: Pick<KnownTerminal, 'exitCode' | 'signal' | 'reason'>): void {
    for (const t of this.known.values()) {
      if (t.workerId !== workerId || t.terminalId !== terminalId) continue;
      t.state = 'ended';
      Object.assign(t, facts);
    }
  }

  /** Number of fan-outs (terminal × tenant) with clients. */
  get size(): number {
    return this.fanouts.size;
  }

  private live(f: Fanout): boolean {
    return this.fanouts.get(f.key) === f;
  }

  private async attach(f: Fanout): Promise<void> {
    if (f.attaching) {
      f.again = true;
      return;
    }
    f.attaching = true;
    try {
      do {
        f.again = false;
        if (!this.live(f)) return;
        if (!this.registry.isOnline(f.workerId)) {
          for (const c of f.clients) c.sendControl({ type: 'waiting', reason: 'worker offline' });
          return;
        }
        const fromOffset = Math.min(...[...f.clients].map((c) => f.snapshotFor.get(c) ?? c.pos));
        this.stats.attaches += 1;
        try {
          await this.registry.request(
            f.workerId,
            { v: V, type: 'terminal.open', id: this.registry.nextId(), tenant: f.tenant, terminalId: f.terminalId, cols: 80, rows: 24, fromOffset },
            // Synchronous: output that follows the reply in the same socket read must find the clients attached.
            { onReply: (reply) => this.attached(f, fromOffset, reply) },
          );
        } catch (err) {
          this.logger.warn({ err: (err as Error).message, terminalId: f.terminalId }, 'terminal attach failed');
          for (const c of f.clients) {
            c.attached = false;
            c.sendControl({ type: 'waiting', reason: (err as Error).message.slice(0, 4096) });
          }
          return;
        }
      } while (f.again);
    } finally {
      f.attaching = false;
      f.snapshotFor.clear();
    }
  }

  private attached(f: Fanout, fromOffset: number, reply: WorkerToOrchestratorMessage): void {
    if (!this.live(f)) return;
    if (reply.type === 'error') {
      const refusal = REFUSALS.has(reply.code);
      const t = this.known.get(f.key);
      if (t && reply.code === 'not_found') Object.assign(t, { state: 'ended', reason: reply.message.slice(0, 256) });
      for (const c of [...f.clients]) {
        if (!c.attached || refusal) c.refuse(reply.code, reply.message);
        else c.sendControl({ type: 'error', code: reply.code, message: reply.message });
      }
      return;
    }
    if (reply.type !== 'terminal.open.result') return;
    const known = this.remember(f);
    known.offset = Math.max(known.offset, reply.offset);
    if (reply.offset < fromOffset) {
      // The worker's stream is shorter than what clients saw: the terminal was re-adopted
      // after a worker restart and its offsets began again. Move clients to the new stream.
      for (const c of f.clients) {
        if (c.pos <= reply.offset) continue;
        c.pos = reply.offset;
        c.sendControl({ type: 'resync', offset: reply.offset, reason: 'the terminal stream began again on the worker' });
      }
    }
    // The worker could not replay from `fromOffset` and sends the screen instead: only the
    // clients at that offset take it. One further ahead may still be replayable from its own
    // offset, so it waits for the next attach (from there) rather than skip to the screen.
    const snapshot = reply.offset > fromOffset;
    for (const c of f.clients) {
      if (snapshot && (f.snapshotFor.get(c) ?? c.pos) > fromOffset) {
        if (!f.snapshotFor.has(c)) {
          c.attached = false;
          f.again = true;
        }
        continue;
      }
      // A client that joined after this request was sent, from further back, waits for the next attach.
      if (!c.attached && c.pos < Math.min(fromOffset, reply.offset)) continue;
      if (snapshot) f.snapshotFor.set(c, reply.offset);
      if (c.attached) continue;
      c.attached = true;
      c.sendControl({ type: 'attached', terminalId: f.terminalId, offset: c.pos });
    }
  }

  /** Output from a worker: each attached client gets exactly the part past its own offset, or nothing. */
  onOutput(workerId: string, terminalId: string, offset: number, data: Uint8Array): void {
    const set = this.byTerminal.get(tkey(workerId, terminalId));
    if (!set) return;
    const end = offset + data.byteLength;
    for (const f of set) {
      const known = this.known.get(f.key);
      if (known && end > known.offset) known.offset = end;
      let gap = false;
      for (const c of f.clients) {
        if (!c.attached || end <= c.pos) continue;
        if (offset > c.pos) {
          gap = true;
          continue;
        }
        c.sendBytes(data.subarray(c.pos - offset));
        // A client dropped by that send (too slow) keeps the offset it really reached.
        if (c.attached) c.pos = end;
      }
      if (gap) {
        this.stats.gapsDropped += 1;
        if (!f.attaching) void this.attach(f);
      }
    }
  }

  /** The offset had left the worker's buffer: attached clients behind it get the screen instead, and are told. */
  onSnapshot(workerId: string, terminalId: string, offset: number, data: string): void {
    for (const f of this.byTerminal.get(tkey(workerId, terminalId)) ?? []) {
      for (const c of f.clients) {
        if (!c.attached || c.pos >= offset) continue;
        c.sendControl({ type: 'snapshot', offset, data });
        if (c.attached) c.pos = offset;
      }
    }
  }

  onExit(workerId: string, terminalId: string, exitCode: number | null, signal?: string): void {
    this.ended(workerId, terminalId, { exitCode, ...(signal ? { signal } : {}), reason: 'the process ended' });
    for (const f of this.byTerminal.get(tkey(workerId, terminalId)) ?? []) {
      for (const c of f.clients) if (c.attached) c.sendControl({ type: 'exit', exitCode, ...(signal ? { signal } : {}) });
    }
  }

  /** The worker dropped its viewer (we were too slow): attach again from where clients are. */
  onViewerDropped(workerId: string, terminalId: string): void {
    for (const f of this.byTerminal.get(tkey(workerId, terminalId)) ?? []) void this.attach(f);
  }

  onWorkerGone(workerId: string): void {
    for (const f of this.fanouts.values()) {
      if (f.workerId !== workerId) continue;
      for (const c of f.clients) {
        c.attached = false;
        c.sendControl({ type: 'waiting', reason: 'worker disconnected' });
      }
    }
  }

  /** A worker (re)registered: reattach every terminal its clients still watch. */
  onWorkerBack(workerId: string): void {
    for (const f of [...this.fanouts.values()]) if (f.workerId === workerId) void this.attach(f);
  }

  onWorkerRevoked(workerId: string): void {
    for (const [k, t] of [...this.known]) if (t.workerId === workerId) this.known.delete(k);
    for (const f of [...this.fanouts.values()]) if (f.workerId === workerId) for (const c of [...f.clients]) c.revoked();
  }
}
