import { Peer, RemoteError, WebSocketFrameStream, type OutboundMessage, type ReplyMessage } from '@bosun/peer';
import {
  BosunError,
  decodeTerminalFrame,
  encodeTerminalInputFrame,
  MAX_TERMINAL_INPUT_FRAME_BYTES,
  workerProtocol,
  WORKER_MAX_INBOUND_MESSAGE_BYTES,
  WORKER_PROTOCOL_VERSION as V,
  type OrchestratorToWorkerMessage,
  type WorkerCommand,
  type WorkerToOrchestratorMessage,
} from '@bosun/protocol';
import type { Logger } from '@bosun/logger';
import { systemClock, type Clock } from '@bosun/util';
import WebSocket from 'ws';
import type { WorkerTokenStore } from './token-store.js';

/** The hub's side of the peer seam with one worker. */
type HubPeer = Peer<typeof workerProtocol, 'toOrchestrator'>;
type ToWorker = OutboundMessage<typeof workerProtocol, 'toOrchestrator'>;

type Register = Extract<WorkerToOrchestratorMessage, { type: 'worker.register' }>;
type Heartbeat = Extract<WorkerToOrchestratorMessage, { type: 'worker.heartbeat' }>;

/** A connected (or recently connected) worker, as the hub holds it in memory. */
export interface WorkerState {
  workerId: string;
  name: string;
  online: boolean;
  connectedAt?: string;
  /** The register message, minus envelope. */
  info?: Omit<Register, 'v' | 'type' | 'id'>;
  heartbeat?: Omit<Heartbeat, 'v' | 'type'> & { receivedAt: string };
}

/** What the registry tells the terminal relay about workers (see `TerminalRelay`). */
export interface WorkerTerminalEvents {
  onOutput(workerId: string, terminalId: string, offset: number, data: Uint8Array): void;
  onSnapshot(workerId: string, terminalId: string, offset: number, data: string): void;
  onExit(workerId: string, terminalId: string, exitCode: number | null, signal?: string): void;
  onViewerDropped(workerId: string, terminalId: string): void;
  onWorkerGone(workerId: string): void;
  onWorkerBack(workerId: string): void;
  onWorkerRevoked(workerId: string): void;
}

interface Connection {
  ws: WebSocket;
  peer: HubPeer;
  registered: boolean;
}

/** Options of {@link WorkerRegistry}. */
export interface WorkerRegistryOptions {
  tokens: WorkerTokenStore;
  logger: Logger;
  /** Largest message accepted from a worker in bytes (default 4 MiB). */
  maxMessageBytes?: number;
  /**
   * Most bytes queued on one worker socket before terminal input to it is refused with
   * `busy` instead of queued (default 8 MiB).
   */
  maxWorkerBufferedBytes?: number;
  /** Window in which repeats of one bad-message code on a connection are only counted (default 10 000 ms). */
  logWindowMs?: number;
  /** How long a closed worker socket may take to finish its close handshake before it is destroyed (default 2 000 ms). */
  closeGraceMs?: number;
  clock?: Clock;
}

/** How long the hub waits for each command's reply unless the command sets its own deadline. */
export function replyDeadlineMs(cmd: WorkerCommand): number {
  switch (cmd.type) {
    case 'container.exec':
      return (cmd.timeoutMs ?? 5 * 60_000) + 15_000;
    case 'image.build':
      return 30 * 60_000 + 15_000;
    case 'container.setup':
      return 10 * 60_000;
    case 'container.stop':
      return ((cmd.timeoutS ?? 10) + 30) * 1000;
    default:
      return 60_000;
  }
}

/** Per-request hooks of {@link WorkerRegistry.request}. */
export interface RequestHooks {
  /** Progress messages (image builds), in order. */
  onProgress?: (message: unknown) => void;
  /** The reply, synchronously, before the next message of the worker's socket is handled. */
  onReply?: (reply: WorkerToOrchestratorMessage) => void;
}

/** Closes `ws` with `code`/`reason`, destroying it if the peer has not finished the handshake after `graceMs`. */
export function closeWithin(ws: WebSocket, code: number, reason: string, graceMs: number, clock: Clock = systemClock): void {
  if (ws.readyState === WebSocket.CLOSED) return;
  const timer = clock.setTimeout(() => ws.terminate(), graceMs);
  ws.once('close', () => clock.clearTimeout(timer));
  ws.close(code, reason);
}

/**
 * Connected workers, by id: O(1) per heartbeat (one map lookup and two field writes),
 * requests with deadlines, and the link to the terminal relay. Every inbound message is
 * parsed with the worker protocol; a bad one gets the typed error reply and the
 * connection lives on, and is logged once per code and window with a count.
 */
export class WorkerRegistry {
  private readonly states = new Map<string, WorkerState>();
  private readonly conns = new Map<string, Connection>();
  private readonly o: Required<Omit<WorkerRegistryOptions, 'tokens' | 'logger' | 'clock'>> & { clock: Clock };
  private seq = 0;
  /** The terminal relay (set by it). */
  relay: WorkerTerminalEvents | undefined;

  constructor(private readonly opts: WorkerRegistryOptions) {
    this.o = Object.freeze({
      maxMessageBytes: opts.maxMessageBytes ?? 4 * 1024 * 1024,
      maxWorkerBufferedBytes: opts.maxWorkerBufferedBytes ?? 8 * 1024 * 1024,
      logWindowMs: opts.logWindowMs ?? 10_000,
      closeGraceMs: opts.closeGraceMs ?? 2000,
      clock: opts.clock ?? systemClock,
    });
    for (const r of opts.tokens.list()) this.states.set(r.workerId, { workerId: r.workerId, name: r.name, online: false });
  }

  private get logger(): Logger {
    return this.opts.logger;
  }

  /** Every known worker (connected or not). */
  list(): WorkerState[] {
    return [...this.states.values()];
  }

  get(workerId: string): WorkerState | undefined {
    return this.states.get(workerId);
  }

  /** Number of connected workers. */
  get onlineCount(): number {
    return this.conns.size;
  }

  /** Adds a worker the hub just issued a token to (listed offline until it connects). */
  added(workerId: string, name: string): void {
    if (!this.states.has(workerId)) this.states.set(workerId, { workerId, name, online: false });
  }

  /** Adopts an authenticated worker socket. An older socket of the same worker is closed. */
  accept(workerId: string, name: string, ws: WebSocket): void {
    if (!this.opts.tokens.get(workerId)) {
      // Revoked between the upgrade's token check and now.
      closeWithin(ws, 4001, 'revoked', this.o.closeGraceMs, this.o.clock);
      return;
    }
    const previous = this.conns.get(workerId);
    if (previous) previous.ws.close(4000, 'replaced by a newer connection');
    // Every frame is parsed at the edge by the peer: typed error replies, depth and size
    // bounds, one log line per kind of bad message and window.
    const peer: HubPeer = new Peer({
      // The socket takes frames up to 4× the message limit (the hub's ws maxPayload), so a
      // message past the limit is answered too_large and the link lives.
      stream: new WebSocketFrameStream(ws, { maxFrameBytes: 4 * this.o.maxMessageBytes }),
      protocol: workerProtocol,
      receives: 'toOrchestrator',
      replyTypes: { 'worker.register': 'worker.registered' },
      idPrefix: 'h',
      logger: this.logger,
      clock: this.o.clock,
      limits: {
        maxMessageBytes: this.o.maxMessageBytes,
        // Never send the worker a frame it would refuse (it drops its link on one).
        remoteMaxFrameBytes: WORKER_MAX_INBOUND_MESSAGE_BYTES,
        highWaterMark: this.o.maxWorkerBufferedBytes,
        logWindowMs: this.o.logWindowMs,
        // The longest command deadline (image.build) rules; each request passes its own.
        requestTimeoutMs: 31 * 60_000,
      },
    });
    const conn: Connection = { ws, peer, registered: false };
    this.conns.set(workerId, conn);
    const state = this.states.get(workerId) ?? { workerId, name, online: false };
    this.states.set(workerId, state);

    peer.onBinary((bytes) => {
      // [u8 kind][u8 idLen][id][u64 offset][payload] (terminal-frame.ts); only output is expected.
      const r = decodeTerminalFrame(bytes);
      if (!r.ok) {
        peer.warn(`frame:${r.error.code}`, { workerId, code: r.error.code }, 'bad frame from worker');
        return this.send(conn, r.error.toWire() as OrchestratorToWorkerMessage);
      }
      if (r.frame.kind === 'output') this.relay?.onOutput(workerId, r.frame.terminalId, r.frame.offset, r.frame.data);
    });
    peer.onRequest((msg) => {
      if (msg.type !== 'worker.register') throw BosunError.unsupported(`${msg.type} is not served by the hub`);
      return this.onRegister(workerId, state, conn, msg) as ReplyMessage<ToWorker>;
    });
    peer.onEvent((msg) => this.onMessage(workerId, state, conn, msg));
    peer.onClose(() => {
      if (this.conns.get(workerId) === conn) {
        this.conns.delete(workerId);
        state.online = false;
        this.relay?.onWorkerGone(workerId);
      }
      this.logger.info({ workerId }, 'worker disconnected');
    });
  }

  private onRegister(workerId: string, state: WorkerState, conn: Connection, msg: Register): OrchestratorToWorkerMessage {
    const { v: _v, type: _t, id, ...info } = msg;
    // A re-registering worker (same token, so same id) replaces its old entry whole: no
    // heartbeat of the previous run is shown beside the new register.
    delete state.heartbeat;
    state.info = info;
    state.name = info.name;
    state.online = true;
    state.connectedAt = new Date(this.o.clock.now()).toISOString();
    conn.registered = true;
    void this.opts.tokens.touch(workerId).catch((err: Error) => this.logger.warn({ workerId, err: err.message }, 'could not record the worker as seen'));
    this.logger.info({ workerId, name: info.name, containers: info.containers?.length ?? 0 }, 'worker registered');
    // After the reply has gone out: the relay's reattach requests follow it on the link.
    queueMicrotask(() => this.relay?.onWorkerBack(workerId));
    return { v: V, type: 'worker.registered', id, workerId };
  }

  /** Events (messages that are not replies to the hub's requests). */
  private onMessage(workerId: string, state: WorkerState, conn: Connection, msg: WorkerToOrchestratorMessage): void {
    if (!conn.registered) {
      this.send(conn, { v: V, type: 'error', code: 'not_registered', message: 'send worker.register first' });
      return;
    }
    switch (msg.type) {
      case 'worker.heartbeat': {
        const { v: _v, type: _t, ...hb } = msg;
        state.heartbeat = { ...hb, receivedAt: new Date(this.o.clock.now()).toISOString() };
        return;
      }
      case 'terminal.exit':
        this.relay?.onExit(workerId, msg.terminalId, msg.exitCode, msg.signal);
        return;
      case 'terminal.snapshot':
        this.relay?.onSnapshot(workerId, msg.terminalId, msg.offset, msg.data);
        return;
      case 'error':
        if (msg.code === 'viewer_dropped' && typeof msg.details?.terminalId === 'string') {
          this.relay?.onViewerDropped(workerId, msg.details.terminalId);
          return;
        }
        conn.peer.warn(`error:${msg.code}`, { workerId, code: msg.code, message: msg.message }, 'worker reported an error');
        return;
      default:
        conn.peer.warn(`unexpected:${msg.type}`, { workerId, type: msg.type }, 'unexpected message from worker (late reply or progress of no request)');
    }
  }

  /**
   * Sends a command and resolves with the worker's reply (`<type>.result` or `error`).
   * Rejects with `offline` when the worker is not connected, `timeout` past the deadline,
   * `disconnected` when it drops first.
   */
  async request(workerId: string, cmd: WorkerCommand, hooks: RequestHooks = {}): Promise<WorkerToOrchestratorMessage> {
    const conn = this.conns.get(workerId);
    if (!conn || !conn.registered) throw new BosunError('offline', `worker ${workerId} is not connected`);
    try {
      return await conn.peer.request(cmd as Parameters<HubPeer['request']>[0], {
        timeoutMs: replyDeadlineMs(cmd),
        ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
        ...(hooks.onReply ? { onReply: hooks.onReply } : {}),
      });
    } catch (err) {
      // The worker's own refusal is its reply; a failed link is an error.
      if (err instanceof RemoteError) {
        return { v: V, type: 'error', id: cmd.id, code: err.remoteCode, message: err.message, ...(err.details ? { details: err.details } : {}) };
      }
      throw err;
    }
  }

  /** A fresh request id, unique for this hub's life. */
  nextId(): string {
    this.seq += 1;
    return `h${this.o.clock.now().toString(36)}-${this.seq.toString(36)}`;
  }

  /**
   * Sends terminal input as binary frames of at most {@link MAX_TERMINAL_INPUT_FRAME_BYTES}
   * payload bytes each (no reply), so no frame exceeds what the worker accepts.
   * Throws {@link BosunError} `offline` when the worker is not connected and `busy` when
   * its socket already holds more than `maxWorkerBufferedBytes` (input is refused, not queued).
   */
  sendInput(workerId: string, terminalId: string, data: Uint8Array): void {
    const conn = this.conns.get(workerId);
    if (!conn || !conn.registered || conn.peer.closed) throw new BosunError('offline', `worker ${workerId} is not connected`);
    const behind = conn.peer.bufferedAmount;
    if (behind + data.byteLength > this.o.maxWorkerBufferedBytes) {
      throw new BosunError('busy', `the link to worker ${workerId} is ${behind} bytes behind; input refused`, {
        details: { bufferedBytes: behind, limit: this.o.maxWorkerBufferedBytes },
      });
    }
    for (let at = 0; at < data.byteLength; at += MAX_TERMINAL_INPUT_FRAME_BYTES) {
      const frame = encodeTerminalInputFrame({ terminalId, data: data.subarray(at, at + MAX_TERMINAL_INPUT_FRAME_BYTES) });
      // Checked above as a whole, so no part of one input is refused alone; a link that closes meanwhile drops it.
      conn.peer.sendBinary(frame).catch(() => undefined);
    }
  }

  isOnline(workerId: string): boolean {
    return this.conns.get(workerId)?.registered ?? false;
  }

  /**
   * Forgets a revoked worker: it is no longer listed, its live socket is closed with
   * 4001 `revoked` (destroyed after the close grace), its pending requests fail with
   * `revoked`, and its terminal viewers are told and closed.
   */
  revoke(workerId: string): void {
    this.states.delete(workerId);
    const conn = this.conns.get(workerId);
    this.relay?.onWorkerRevoked(workerId);
    if (!conn) return;
    this.conns.delete(workerId);
    // Pending requests fail with `disconnected` as the peer closes.
    closeWithin(conn.ws, 4001, 'revoked', this.o.closeGraceMs, this.o.clock);
    this.logger.info({ workerId }, 'revoked worker disconnected');
  }

  /** Closes every worker socket (hub shutdown). */
  closeAll(): void {
    for (const c of this.conns.values()) closeWithin(c.ws, 1001, 'hub shutting down', this.o.closeGraceMs, this.o.clock);
  }

  /** Sends a message now; one the worker would refuse (too large) or a backed-up link is logged, never forwarded. */
  private send(conn: Connection, msg: OrchestratorToWorkerMessage): void {
    try {
      conn.peer.send(msg as ToWorker);
    } catch (err) {
      conn.peer.warn(`send:${(err as BosunError).code ?? 'failed'}`, { type: msg.type, err: (err as Error).message }, 'message to worker not sent');
    }
  }
}
