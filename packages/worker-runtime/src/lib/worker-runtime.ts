import { EventEmitter } from 'node:events';
import { Peer, WebSocketFrameStream, webSocketClientOptions, type OutboundMessage, type ReplyMessage } from '@bosun/peer';
import {
  decodeTerminalFrame,
  workerProtocol,
  WORKER_MAX_INBOUND_MESSAGE_BYTES,
  WORKER_PROTOCOL_VERSION as V,
  type WorkerCommand,
  type WorkerToOrchestratorMessage,
} from '@bosun/protocol';
import { withDeadline } from '@bosun/util';
import WebSocket from 'ws';
import { Backoff } from './backoff.js';
import { toSummary, type CommandHandler } from './command-handler.js';
import type { Logger } from './logger.js';
import type { TerminalBridge } from './terminal-bridge.js';
import type { ContainerDriver } from '@bosun/container-driver';

/** The worker's side of the peer seam. */
type WorkerPeer = Peer<typeof workerProtocol, 'toWorker'>;

type Register = Extract<WorkerToOrchestratorMessage, { type: 'worker.register' }>;
type Heartbeat = Extract<WorkerToOrchestratorMessage, { type: 'worker.heartbeat' }>;

/** What the runtime needs from the capability probe. */
export interface PayloadSource {
  /** `worker.register` fields except `v`, `type`, `id`, `containers`, `terminals`. */
  register(): Promise<Omit<Register, 'v' | 'type' | 'id' | 'containers' | 'terminals'>>;
  /** `worker.heartbeat` fields except `v`, `type`; must answer fast. */
  heartbeat(): Promise<Omit<Heartbeat, 'v' | 'type'>>;
}

/** Options of {@link WorkerRuntime}. */
export interface WorkerRuntimeOptions {
  /** Orchestrator WebSocket URL (`ws://` or `wss://`). */
  url: string;
  /** Worker token, sent as `Authorization: Bearer …` on the upgrade. */
  token: string;
  driver: ContainerDriver;
  handler: CommandHandler;
  terminals?: TerminalBridge;
  payloads: PayloadSource;
  /** Heartbeat period in ms (default 10 000; the orchestrator may override it at registration). */
  heartbeatIntervalMs?: number;
  /** Deadline for the `worker.registered` reply (default 15 000 ms). */
  registerTimeoutMs?: number;
  /** Largest inbound message or frame in bytes (default `WORKER_MAX_INBOUND_MESSAGE_BYTES`, 1 MiB + 64 KiB). */
  maxMessageBytes?: number;
  /** Commands run at once; past it a command is answered `busy` at once, never queued unseen (default 64). */
  maxConcurrentCommands?: number;
  /** Deadline of the engine listing sent in `worker.register`; a frozen engine registers with none (default 5 000 ms). */
  registerListTimeoutMs?: number;
  backoff?: Backoff;
  logger: Logger;
}

/** Events of {@link WorkerRuntime}. */
export interface WorkerRuntimeEvents {
  registered: [{ workerId: string }];
  disconnected: [{ code: number; reason: string; retryInMs: number }];
}

/**
 * The worker's side of the orchestrator protocol: dials out, registers (reporting the
 * containers and terminals it still has), heartbeats, answers every command, and
 * reconnects with backoff when the connection drops. Containers and terminals keep
 * running while it is disconnected.
 */
export class WorkerRuntime extends EventEmitter<WorkerRuntimeEvents> {
  private ws: WebSocket | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly backoff: Backoff;
  private workerId: string | undefined;
  private regSeq = 0;

  constructor(private readonly o: WorkerRuntimeOptions) {
    super();
    this.backoff = o.backoff ?? new Backoff();
  }

  /** Starts dialling; returns at once. */
  start(): void {
    this.closed = false;
    this.connect();
  }

  /** The id the orchestrator gave this worker, once registered. */
  get id(): string | undefined {
    return this.workerId;
  }

  /** Stops dialling and closes the connection; containers and terminals are left running. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnect);
    clearInterval(this.heartbeat);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (ws.terminate(), resolve()), 2000);
      ws.once('close', () => (clearTimeout(t), resolve()));
      ws.close(1001, 'worker shutting down');
    });
  }

  private connect(): void {
    if (this.closed) return;
    const maxFrameBytes = this.o.maxMessageBytes ?? WORKER_MAX_INBOUND_MESSAGE_BYTES;
    const ws = new WebSocket(this.o.url, {
      headers: { authorization: `Bearer ${this.o.token}` },
      ...webSocketClientOptions(this.o.url, maxFrameBytes),
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    let alive = true;

    ws.on('open', () => {
      this.o.logger.info({ url: this.o.url }, 'connected to orchestrator');
      const peer = this.attachPeer(ws, maxFrameBytes);
      void this.register(ws, peer, () => {
        if (!alive) {
          this.o.logger.warn('orchestrator stopped answering pings');
          return ws.terminate();
        }
        alive = false;
        ws.ping();
      }).catch((err: Error) => {
        this.o.logger.error({ err: err.message }, 'registration failed');
        ws.terminate();
      });
    });
    ws.on('pong', () => (alive = true));
    ws.on('unexpected-response', (_req, res) => {
      this.o.logger.error({ status: res.statusCode }, res.statusCode === 401 ? 'orchestrator refused the worker token' : 'orchestrator refused the connection');
      ws.terminate();
    });
    ws.on('error', (err) => this.o.logger.warn({ err: err.message }, 'orchestrator connection error'));
    ws.on('close', (code, reason) => {
      clearInterval(this.heartbeat);
      this.o.terminals?.setLink(undefined);
      if (this.ws === ws) this.ws = undefined;
      if (this.closed) return;
      const retryInMs = this.backoff.next();
      this.o.logger.warn({ code, reason: reason.toString(), retryInMs }, 'disconnected from orchestrator');
      this.emit('disconnected', { code, reason: reason.toString(), retryInMs });
      this.reconnect = setTimeout(() => this.connect(), retryInMs);
    });
  }

  /**
   * Puts the peer seam on an open socket: every inbound frame is parsed there, commands
   * run through the handler (bounded in flight: past the bound the peer answers `busy`),
   * binary frames are terminal input, and bad input is answered and logged once per window.
   */
  private attachPeer(ws: WebSocket, maxFrameBytes: number): WorkerPeer {
    const peer: WorkerPeer = new Peer({
      stream: new WebSocketFrameStream(ws, { maxFrameBytes }),
      protocol: workerProtocol,
      receives: 'toWorker',
      replyTypes: { 'worker.register': 'worker.registered' },
      idPrefix: 'w',
      logger: this.o.logger,
      limits: { maxInboundInFlight: this.o.maxConcurrentCommands ?? 64, maxMessageBytes: maxFrameBytes },
    });
    peer.onRequest(async (cmd) => {
      const sink = { send: (m: WorkerToOrchestratorMessage) => this.send(peer, m) };
      const reply = await this.o.handler.handle(cmd as WorkerCommand, sink);
      return reply as unknown as ReplyMessage<WorkerToOrchestratorMessage>;
    });
    peer.onBinary((bytes) => {
      const r = decodeTerminalFrame(bytes);
      if (!r.ok) return this.send(peer, r.error.toWire() as WorkerToOrchestratorMessage);
      if (r.frame.kind === 'input') this.o.terminals?.input(r.frame.terminalId, r.frame.data);
    });
    peer.onEvent((msg) => {
      if (msg.type === 'error') {
        this.o.logger.warn({ code: msg.code, message: msg.message }, 'orchestrator reported an error');
        if (!this.workerId && msg.code === 'unsupported_version') ws.close(1002, 'unsupported version');
      }
    });
    return peer;
  }

  private async register(ws: WebSocket, peer: WorkerPeer, checkAlive: () => void): Promise<void> {
    const listMs = this.o.registerListTimeoutMs ?? 5000;
    const [base, containers] = await Promise.all([
      this.o.payloads.register(),
      withDeadline('container listing for worker.register', listMs, () => this.o.driver.listAll()).catch((err: Error) => {
        this.o.logger.warn({ err: err.message }, 'registering without containers: the engine did not list them');
        return [];
      }),
    ]);
    this.o.terminals?.setLink({
      send: (m) => this.send(peer, m),
      sendBinary: (frame) => peer.sendBinary(frame).catch(() => undefined),
    });
    const terminals = this.o.terminals?.alive() ?? [];
    this.regSeq += 1;
    const reply = await peer.request(
      {
        v: V,
        type: 'worker.register',
        id: `register-${this.regSeq}`,
        ...base,
        containers: containers.map(toSummary),
        ...(terminals.length ? { terminals } : {}),
      },
      { timeoutMs: this.o.registerTimeoutMs ?? 15_000 },
    );
    if (reply.type !== 'worker.registered' || ws !== this.ws) throw new Error(`unexpected reply to worker.register: ${reply.type}`);
    this.onRegistered(peer, reply.workerId, reply.heartbeatIntervalMs, checkAlive);
  }

  private onRegistered(peer: WorkerPeer, workerId: string, intervalMs: number | undefined, checkAlive: () => void): void {
    this.workerId = workerId;
    this.backoff.reset();
    this.o.logger.info({ workerId }, 'registered');
    this.emit('registered', { workerId });
    clearInterval(this.heartbeat);
    const every = intervalMs ?? this.o.heartbeatIntervalMs ?? 10_000;
    const beat = async () => {
      checkAlive();
      try {
        const hb = await this.o.payloads.heartbeat();
        this.send(peer, { v: V, type: 'worker.heartbeat', ...hb });
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, 'heartbeat failed');
      }
    };
    void beat();
    this.heartbeat = setInterval(() => void beat(), every);
  }

  /** Sends a message now; a closed or backed-up link drops it with a throttled warning (replies have their own path in the peer). */
  private send(peer: WorkerPeer, message: WorkerToOrchestratorMessage): void {
    try {
      peer.send(message as OutboundMessage<typeof workerProtocol, 'toWorker'>);
    } catch (err) {
      this.o.logger.debug({ err: (err as Error).message, type: message.type }, 'message not sent');
    }
  }
}
