import { EventEmitter } from 'node:events';
import {
  decodeTerminalFrame,
  parseMessage,
  workerProtocol,
  WORKER_PROTOCOL_VERSION as V,
  type WorkerToOrchestratorMessage,
} from '@bosun/protocol';
import { LogThrottle, withDeadline } from '@bosun/util';
import WebSocket from 'ws';
import { Backoff } from './backoff.js';
import { toSummary, type CommandHandler } from './command-handler.js';
import type { Logger } from './logger.js';
import type { TerminalBridge } from './terminal-bridge.js';
import type { ContainerDriver } from '@bosun/container-driver';

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
  /** Largest inbound message in bytes (default 1 MiB + 64 KiB). */
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
  private inFlight = 0;

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
    const ws = new WebSocket(this.o.url, {
      headers: { authorization: `Bearer ${this.o.token}` },
      maxPayload: this.o.maxMessageBytes ?? 1024 * 1024 + 65_536,
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    let alive = true;
    let registered = false;
    // One line per kind of bad message per window, however fast a broken orchestrator sends them.
    const badMessages = new LogThrottle({ logger: this.o.logger });

    ws.on('open', () => {
      this.o.logger.info({ url: this.o.url }, 'connected to orchestrator');
      void this.register(ws).catch((err: Error) => {
        this.o.logger.error({ err: err.message }, 'registration failed');
        ws.terminate();
      });
    });
    ws.on('pong', () => (alive = true));
    ws.on('unexpected-response', (_req, res) => {
      this.o.logger.error({ status: res.statusCode }, res.statusCode === 401 ? 'orchestrator refused the worker token' : 'orchestrator refused the connection');
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const r = decodeTerminalFrame(toBytes(data));
        if (!r.ok) {
          badMessages.warn(r.error.code, { code: r.error.code }, 'bad binary frame from orchestrator');
          return this.send(ws, r.error.toWire() as WorkerToOrchestratorMessage);
        }
        if (r.frame.kind === 'input') this.o.terminals?.input(r.frame.terminalId, r.frame.data);
        return;
      }
      const parsed = parseMessage(workerProtocol, toBytes(data), { direction: 'toWorker', maxBytes: this.o.maxMessageBytes });
      if (!parsed.ok) {
        badMessages.warn(parsed.error.code, { code: parsed.error.code, path: parsed.error.path }, 'bad message from orchestrator');
        return this.send(ws, parsed.error.toWire() as WorkerToOrchestratorMessage);
      }
      const msg = parsed.message;
      if (msg.type === 'worker.registered') {
        registered = true;
        this.onRegistered(ws, msg.workerId, msg.heartbeatIntervalMs, () => {
          if (!alive) {
            this.o.logger.warn('orchestrator stopped answering pings');
            return ws.terminate();
          }
          alive = false;
          ws.ping();
        });
        return;
      }
      if (msg.type === 'error') {
        this.o.logger.warn({ code: msg.code, message: msg.message }, 'orchestrator reported an error');
        if (!registered && msg.code === 'unsupported_version') ws.close(1002, 'unsupported version');
        return;
      }
      if (this.inFlight >= (this.o.maxConcurrentCommands ?? 64)) {
        this.send(ws, { v: V, type: 'error', id: msg.id, code: 'busy', message: `worker is running ${this.inFlight} commands; try again` });
        return;
      }
      this.inFlight += 1;
      const sink = { send: (m: WorkerToOrchestratorMessage) => this.send(ws, m) };
      void this.o.handler
        .handle(msg, sink)
        .then((reply) => this.send(ws, reply))
        .finally(() => (this.inFlight -= 1));
    });
    ws.on('error', (err) => this.o.logger.warn({ err: err.message }, 'orchestrator connection error'));
    ws.on('close', (code, reason) => {
      badMessages.flush();
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

  private async register(ws: WebSocket): Promise<void> {
    const listMs = this.o.registerListTimeoutMs ?? 5000;
    const [base, containers] = await Promise.all([
      this.o.payloads.register(),
      withDeadline('container listing for worker.register', listMs, () => this.o.driver.listAll()).catch((err: Error) => {
        this.o.logger.warn({ err: err.message }, 'registering without containers: the engine did not list them');
        return [];
      }),
    ]);
    this.o.terminals?.setLink({
      send: (m) => this.send(ws, m),
      sendBinary: (frame) => new Promise<void>((resolve) => (ws.readyState === WebSocket.OPEN ? ws.send(frame, { binary: true }, () => resolve()) : resolve())),
    });
    const terminals = this.o.terminals?.alive() ?? [];
    this.regSeq += 1;
    this.send(ws, {
      v: V,
      type: 'worker.register',
      id: `register-${this.regSeq}`,
      ...base,
      containers: containers.map(toSummary),
      ...(terminals.length ? { terminals } : {}),
    });
    const timeout = setTimeout(() => {
      if (!this.workerId || ws !== this.ws) {
        this.o.logger.error('no worker.registered reply in time');
        ws.terminate();
      }
    }, this.o.registerTimeoutMs ?? 15_000);
    timeout.unref();
  }

  private onRegistered(ws: WebSocket, workerId: string, intervalMs: number | undefined, checkAlive: () => void): void {
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
        this.send(ws, { v: V, type: 'worker.heartbeat', ...hb });
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, 'heartbeat failed');
      }
    };
    void beat();
    this.heartbeat = setInterval(() => void beat(), every);
  }

  private send(ws: WebSocket, message: WorkerToOrchestratorMessage): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }
}

function toBytes(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
