import {
  decodeTerminalFrame,
  encodeTerminalInputFrame,
  parseMessage,
  workerProtocol,
  WORKER_PROTOCOL_VERSION as V,
  type OrchestratorToWorkerMessage,
  type WorkerCommand,
  type WorkerToOrchestratorMessage,
} from '@bosun/protocol';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { PendingRequests, RequestFailedError } from './pending-requests.js';
import type { TerminalRelay } from './terminal-relay.js';
import type { WorkerTokenStore } from './token-store.js';

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

interface Connection {
  ws: WebSocket;
  pending: PendingRequests<WorkerToOrchestratorMessage>;
  registered: boolean;
}

/** The bytes of a ws message, whatever shape ws handed them in. */
export function rawBytes(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
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

/**
 * Connected workers, by id: O(1) per heartbeat (one map lookup and two field writes),
 * requests with deadlines, and the link to the terminal relay. Every inbound message is
 * parsed with the worker protocol; a bad one gets the typed error reply and the
 * connection lives on.
 */
export class WorkerRegistry {
  private readonly states = new Map<string, WorkerState>();
  private readonly conns = new Map<string, Connection>();
  relay: TerminalRelay | undefined;

  constructor(
    private readonly tokens: WorkerTokenStore,
    private readonly logger: Logger,
    private readonly maxMessageBytes = 4 * 1024 * 1024,
  ) {
    for (const r of tokens.list()) this.states.set(r.workerId, { workerId: r.workerId, name: r.name, online: false });
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

  /** Adopts an authenticated worker socket. An older socket of the same worker is closed. */
  accept(workerId: string, name: string, ws: WebSocket): void {
    const previous = this.conns.get(workerId);
    if (previous) previous.ws.close(4000, 'replaced by a newer connection');
    const conn: Connection = { ws, pending: new PendingRequests(), registered: false };
    this.conns.set(workerId, conn);
    const state = this.states.get(workerId) ?? { workerId, name, online: false };
    this.states.set(workerId, state);
    const log = this.logger.child({ workerId });

    ws.on('message', (data, isBinary) => {
      const bytes = rawBytes(data);
      if (isBinary) {
        const r = decodeTerminalFrame(bytes);
        if (!r.ok) return this.send(conn, r.error.toWire() as OrchestratorToWorkerMessage);
        if (r.frame.kind === 'output') this.relay?.onOutput(workerId, r.frame.terminalId, r.frame.offset, r.frame.data);
        return;
      }
      const parsed = parseMessage(workerProtocol, bytes, { direction: 'toOrchestrator', maxBytes: this.maxMessageBytes });
      if (!parsed.ok) {
        log.warn({ code: parsed.error.code, path: parsed.error.path }, 'bad message from worker');
        return this.send(conn, parsed.error.toWire() as OrchestratorToWorkerMessage);
      }
      this.onMessage(workerId, state, conn, parsed.message, log);
    });
    ws.on('close', () => {
      if (this.conns.get(workerId) === conn) {
        this.conns.delete(workerId);
        state.online = false;
        this.relay?.onWorkerGone(workerId);
      }
      conn.pending.failAll(new RequestFailedError('disconnected', 'the worker disconnected before replying'));
      log.info('worker disconnected');
    });
  }

  private onMessage(workerId: string, state: WorkerState, conn: Connection, msg: WorkerToOrchestratorMessage, log: Logger): void {
    if (msg.type === 'worker.register') {
      const { v: _v, type: _t, id, ...info } = msg;
      state.info = info;
      state.name = info.name;
      state.online = true;
      state.connectedAt = new Date().toISOString();
      conn.registered = true;
      this.send(conn, { v: V, type: 'worker.registered', id, workerId });
      void this.tokens.touch(workerId);
      log.info({ name: info.name, containers: info.containers?.length ?? 0 }, 'worker registered');
      this.relay?.onWorkerBack(workerId);
      return;
    }
    if (!conn.registered) {
      this.send(conn, { v: V, type: 'error', code: 'not_registered', message: 'send worker.register first' });
      return;
    }
    switch (msg.type) {
      case 'worker.heartbeat': {
        const { v: _v, type: _t, ...hb } = msg;
        state.heartbeat = { ...hb, receivedAt: new Date().toISOString() };
        return;
      }
      case 'image.build.progress':
        conn.pending.progress(msg.id, msg);
        return;
      case 'terminal.exit':
        this.relay?.onExit(workerId, msg.terminalId, msg.exitCode);
        return;
      case 'terminal.snapshot':
        this.relay?.onSnapshot(workerId, msg.terminalId, msg.offset, msg.data);
        return;
      case 'error':
        if (msg.id && conn.pending.resolve(msg.id, msg)) return;
        if (msg.code === 'viewer_dropped' && typeof msg.details?.terminalId === 'string') {
          this.relay?.onViewerDropped(workerId, msg.details.terminalId);
          return;
        }
        log.warn({ code: msg.code, message: msg.message }, 'worker reported an error');
        return;
      default:
        if ('id' in msg && typeof msg.id === 'string' && !conn.pending.resolve(msg.id, msg)) {
          log.warn({ type: msg.type, id: msg.id }, 'reply for no pending request (late or unknown)');
        }
    }
  }

  /**
   * Sends a command and resolves with the worker's reply (`<type>.result` or `error`).
   * Rejects with `offline` when the worker is not connected, `timeout` past the deadline,
   * `disconnected` when it drops first.
   */
  request(workerId: string, cmd: WorkerCommand, onProgress?: (m: unknown) => void): Promise<WorkerToOrchestratorMessage> {
    const conn = this.conns.get(workerId);
    if (!conn || !conn.registered) return Promise.reject(new RequestFailedError('offline', `worker ${workerId} is not connected`));
    const wait = conn.pending.wait(cmd.id, replyDeadlineMs(cmd), onProgress);
    this.send(conn, cmd);
    return wait;
  }

  /** A fresh request id. */
  nextId(): string {
    return `h${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Sends terminal input as a binary frame (no reply). False when the worker is offline. */
  sendInput(workerId: string, terminalId: string, data: Uint8Array): boolean {
    const conn = this.conns.get(workerId);
    if (!conn || conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.ws.send(encodeTerminalInputFrame({ terminalId, data }), { binary: true });
    return true;
  }

  isOnline(workerId: string): boolean {
    return this.conns.get(workerId)?.registered ?? false;
  }

  /** Closes every worker socket (hub shutdown). */
  closeAll(): void {
    for (const c of this.conns.values()) c.ws.close(1001, 'hub shutting down');
  }

  private send(conn: Connection, msg: OrchestratorToWorkerMessage): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(msg));
  }
}
