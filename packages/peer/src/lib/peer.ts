/**
 * One side of a connection speaking a `@bosun/protocol` protocol over any
 * {@link FrameStream}: every inbound text frame is parsed at the edge and a bad one is
 * answered with the protocol's typed error (the link lives); requests are correlated
 * by `id`, carry a deadline and fail with `disconnected` when the link drops; in-flight
 * requests both ways and queued bytes are bounded by {@link PeerLimits}.
 *
 * Routing of an inbound message, in order:
 * 1. a type this side serves (a key of the reply-type map whose type belongs to the
 *    receiving direction) with an `id` → the {@link Peer.onRequest} handler;
 * 2. any other message whose `id` is a pending outbound request → that request:
 *    `error` rejects it, its reply type resolves it, anything else is progress;
 * 3. a reply (or `error`) for an id nothing waits for → dropped, logged (throttled);
 * 4. the rest (events, `error` without id) → the {@link Peer.onEvent} handler.
 */
import { silentLogger, type Logger } from '@bosun/logger';
import {
  BosunError,
  isErrorCode,
  parseMessage,
  errorToWire,
  toErrorBody,
  type MessageOf,
  type Protocol,
} from '@bosun/protocol';
import { CancelledError, LogThrottle, systemClock, withDeadline, type Clock } from '@bosun/util';
import { CLOSE_CODES, type Frame, type FrameStream } from './frame-stream.js';
import { resolvePeerLimits, type PeerLimits } from './peer-limits.js';

type Direction<P extends Protocol> = keyof P['directions'] & string;

/** The messages a peer receiving direction `D` of `P` accepts. */
export type InboundMessage<P extends Protocol, D extends Direction<P>> = MessageOf<P, D>;

/** The messages a peer receiving direction `D` of `P` sends: those of the other direction(s). */
export type OutboundMessage<P extends Protocol, D extends Direction<P>> = [Exclude<Direction<P>, D>] extends [never]
  ? MessageOf<P, D>
  : MessageOf<P, Exclude<Direction<P>, D>>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An outbound message with an `id` (a request); the `id` may be left out for the peer to assign. */
export type RequestMessage<M> = DistributiveOmit<Extract<M, { id: string }>, 'id'> & { id?: string };

/** A message to send as a reply; `id` is set to the request's id by the peer. */
export type ReplyMessage<M> = DistributiveOmit<M, 'id'> & { id?: string };

/** The reply type to request type `T`: `${T}.result` when the protocol has it, else any inbound message. */
export type ReplyTo<In, T> = T extends string ? ([Extract<In, { type: `${T}.result` }>] extends [never] ? In : Extract<In, { type: `${T}.result` }>) : In;

/** Options of {@link Peer.request}. */
export interface RequestOptions<In> {
  /** Deadline; rejects with a `timeout` {@link BosunError} (default {@link PeerLimits.requestTimeoutMs}). */
  timeoutMs?: number;
  /** Receives every other message the far side sends with this request's id before the reply. */
  onProgress?: (message: In) => void;
  /** Caller's cancellation; rejects with `cancelled` (or the signal's Error reason). */
  signal?: AbortSignal;
  /**
   * Called synchronously with the reply (or the far side's `error` reply) before the
   * next inbound frame is handled, for callers whose state must change before frames
   * that follow the reply in the same read (e.g. terminal output after an attach).
   */
  onReply?: (message: In) => void;
}

/** What an inbound request handler gets besides the request. */
export interface RequestContext<Out> {
  /** The request's id. */
  readonly id: string;
  /** Aborts when the link closes: stop the work, nobody will read the reply. */
  readonly signal: AbortSignal;
  /** Sends a progress message (its `id` is set to the request's); throws like {@link Peer.send}. */
  progress(message: ReplyMessage<Out>): void;
}

/** Serves one inbound request: returns the reply (its `id` is filled in), `undefined` for none, or throws (answered with `toErrorBody`). */
export type RequestHandler<In, Out> = (request: In, ctx: RequestContext<Out>) => ReplyMessage<Out> | undefined | Promise<ReplyMessage<Out> | undefined>;

/** Options of {@link Peer}. */
export interface PeerOptions<P extends Protocol, D extends Direction<P>> {
  /** The transport. */
  stream: FrameStream;
  /** The protocol spoken, e.g. `workerProtocol`. */
  protocol: P;
  /** The direction this side receives, e.g. `'toWorker'` for a worker. */
  receives: D;
  /** Bounds; see {@link PeerLimits} for each default. */
  limits?: Partial<PeerLimits>;
  /**
   * Request types whose reply is not `${type}.result`, e.g.
   * `{ 'worker.register': 'worker.registered' }` (default none). Every type `T` with a
   * `${T}.result` in another direction is a request already.
   */
  replyTypes?: Readonly<Record<string, string>>;
  /** Prefix of the ids {@link Peer.request} assigns (default `r`). */
  idPrefix?: string;
  /** Where warnings go, throttled per kind (default silent). */
  logger?: Logger;
  /** Timers for deadlines and log windows (default the system clock). */
  clock?: Clock;
}

interface Pending<In> {
  readonly replyType: string;
  readonly resolve: (message: In) => void;
  readonly reject: (err: Error) => void;
  readonly onProgress: ((message: In) => void) | undefined;
  readonly onReply: ((message: In) => void) | undefined;
}

/**
 * A protocol endpoint over a {@link FrameStream}. Construct one per connection; it
 * takes over the stream's frame and close handlers.
 *
 * @example
 * const peer = new Peer({ stream: new WebSocketFrameStream(ws), protocol: workerProtocol, receives: 'toOrchestrator', logger });
 * const reply = await peer.request({ v: 1, type: 'container.list', tenant: 't1' }, { timeoutMs: 10_000 });
 */
export class Peer<P extends Protocol, D extends Direction<P>> {
  /** The bounds in force, frozen. */
  readonly limits: PeerLimits;
  private readonly stream: FrameStream;
  private readonly protocol: P;
  private readonly receives: D;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly throttle: LogThrottle;
  private readonly idPrefix: string;
  private readonly replyTypes = new Map<string, string>();
  private readonly servedTypes = new Set<string>();
  private readonly replyTypeNames = new Set<string>(['error']);
  private readonly pending = new Map<string, Pending<InboundMessage<P, D>>>();
  private readonly drainWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly closeHandlers: ((code: number, reason: string) => void)[] = [];
  private readonly linkAbort = new AbortController();
  private requestHandler: RequestHandler<InboundMessage<P, D>, OutboundMessage<P, D>> | undefined;
  private eventHandler: ((message: InboundMessage<P, D>) => void) | undefined;
  private binaryHandler: ((data: Uint8Array) => void) | undefined;
  private inboundRunning = 0;
  private outstandingWrites = 0;
  private drainPoll: unknown;
  private seq = 0;
  private closedWith: { code: number; reason: string } | undefined;

  constructor(options: PeerOptions<P, D>) {
    this.stream = options.stream;
    this.protocol = options.protocol;
    this.receives = options.receives;
    if (!(options.receives in options.protocol.directions)) {
      throw BosunError.invalidArgument(`protocol ${options.protocol.name} has no direction ${String(options.receives)}`, { option: 'receives' });
    }
    this.limits = resolvePeerLimits(options.limits ?? {}, this.stream.maxFrameBytes);
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.throttle = new LogThrottle({ logger: this.logger, windowMs: this.limits.logWindowMs, clock: this.clock });
    this.idPrefix = options.idPrefix ?? 'r';
    this.indexReplyTypes(options.replyTypes ?? {});
    this.stream.onFrame((frame) => this.receive(frame));
    this.stream.onClose((code, reason) => this.linkClosed(code, reason));
  }

  /** True once the link has closed (either side). */
  get closed(): boolean {
    return this.closedWith !== undefined || this.stream.closed;
  }

  /** Bytes queued on the stream, not yet written. */
  get bufferedAmount(): number {
    return this.stream.bufferedAmount;
  }

  /** Requests in flight each way. */
  get inFlight(): { readonly outbound: number; readonly inbound: number } {
    return { outbound: this.pending.size, inbound: this.inboundRunning };
  }

  /**
   * Logs a warning through this connection's throttle: the first of each `key` per
   * window at once, repeats counted and summed up once (flushed when the link closes).
   * For adapters that judge frames the peer hands on (binary frames, events).
   */
  warn(key: string, fields: Record<string, unknown>, message: string): void {
    this.throttle.warn(key, fields, message);
  }

  /** Sets the handler of inbound requests (default: answered `unsupported`). */
  onRequest(handler: RequestHandler<InboundMessage<P, D>, OutboundMessage<P, D>>): void {
    this.requestHandler = handler;
  }

  /** Sets the handler of events: messages that are neither requests nor replies (default: dropped, logged at debug). */
  onEvent(handler: (message: InboundMessage<P, D>) => void): void {
    this.eventHandler = handler;
  }

  /** Sets the handler of binary frames; the caller decodes them (default: dropped, logged). */
  onBinary(handler: (data: Uint8Array) => void): void {
    this.binaryHandler = handler;
  }

  /** Adds a handler run once when the link closes, after pending requests failed. */
  onClose(handler: (code: number, reason: string) => void): void {
    if (this.closedWith) {
      const { code, reason } = this.closedWith;
      queueMicrotask(() => handler(code, reason));
    } else this.closeHandlers.push(handler);
  }

  /**
   * Sends one message now. Throws a {@link BosunError}: `disconnected` after close,
   * `too_large` when its JSON is bigger than the far side's frame limit (nothing is
   * sent), `slow_consumer` when the stream already holds more than the high-water mark.
   */
  send(message: OutboundMessage<P, D>): void {
    const data = this.encode(message);
    this.admit(data.byteLength);
    this.write({ kind: 'text', data });
  }

  /**
   * Sends one binary frame. Resolves once the frame is handed to the stream and the
   * stream's queue is at or below the low-water mark, so a producer that awaits each
   * call never grows memory past the high-water mark. Rejects with `too_large` (frame
   * bigger than the far side accepts; not sent), `slow_consumer` (called without
   * awaiting until past the high-water mark; not sent) or `disconnected`.
   */
  sendBinary(frame: Uint8Array): Promise<void> {
    try {
      if (frame.byteLength > this.limits.remoteMaxFrameBytes) throw this.tooLarge(frame.byteLength);
      this.admit(frame.byteLength);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.write({ kind: 'binary', data: frame });
    if (this.stream.bufferedAmount <= this.limits.lowWaterMark) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.drainWaiters.push({ resolve, reject });
      this.armDrainPoll();
    });
  }

  /**
   * Sends a request and resolves with its reply. The `id` is assigned when left out.
   * Rejects with a {@link BosunError}: the far side's `error` reply (its code when
   * registered, else `internal` with `details.remoteCode`), `timeout`, `cancelled`,
   * `disconnected`, `busy` (already {@link PeerLimits.maxOutboundInFlight} in flight;
   * not sent) or any error of {@link Peer.send}.
   */
  async request<M extends RequestMessage<OutboundMessage<P, D>>>(
    message: M,
    options: RequestOptions<InboundMessage<P, D>> = {},
  ): Promise<ReplyTo<InboundMessage<P, D>, M['type']>> {
    if (this.closed) throw this.disconnected();
    if (this.pending.size >= this.limits.maxOutboundInFlight) {
      throw BosunError.busy(`${this.pending.size} requests already in flight on this connection`);
    }
    const type = message.type as string;
    const id = message.id ?? `${this.idPrefix}${++this.seq}`;
    if (this.pending.has(id)) throw BosunError.invalidArgument(`request id ${id} is already in flight`);
    const timeoutMs = options.timeoutMs ?? this.limits.requestTimeoutMs;
    if (!(timeoutMs > 0)) throw BosunError.invalidArgument(`timeoutMs must be > 0, got ${String(timeoutMs)}`);
    const reply = new Promise<InboundMessage<P, D>>((resolve, reject) => {
      this.pending.set(id, {
        replyType: this.replyTypes.get(type) ?? `${type}.result`,
        resolve,
        reject,
        onProgress: options.onProgress,
        onReply: options.onReply,
      });
    });
    try {
      this.send({ ...message, id } as unknown as OutboundMessage<P, D>);
      return (await withDeadline(type, timeoutMs, () => reply, {
        clock: this.clock,
        ...(options.signal ? { signal: options.signal } : {}),
        onTimeout: (what, ms) => BosunError.timeout(what, ms),
      })) as ReplyTo<InboundMessage<P, D>, M['type']>;
    } catch (err) {
      if (err instanceof CancelledError) throw new BosunError('cancelled', err.message);
      throw err;
    } finally {
      this.pending.delete(id);
    }
  }

  /**
   * Closes the link (default code 1000). Pending requests fail with `disconnected`,
   * waiting `sendBinary` calls reject, running handlers see their signal abort.
   */
  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    this.stream.close(code, reason);
    this.linkClosed(code, reason);
  }

  // Inbound -----------------------------------------------------------------------

  private receive(frame: Frame): void {
    if (this.closedWith) return;
    if (frame.kind === 'binary') {
      if (!this.binaryHandler) return this.throttle.warn('binary_unhandled', { bytes: frame.data.byteLength }, 'binary frame with no handler dropped');
      try {
        this.binaryHandler(frame.data);
      } catch (err) {
        this.throttle.warn('binary_handler', { err: errMessage(err) }, 'binary frame handler failed');
      }
      return;
    }
    const parsed = parseMessage(this.protocol, frame.data, {
      direction: this.receives,
      maxBytes: this.limits.maxMessageBytes,
      maxDepth: this.limits.maxDepth,
    });
    if (!parsed.ok) {
      const e = parsed.error;
      this.throttle.warn(`bad_message:${e.code}`, { code: e.code, path: e.path, protocol: this.protocol.name }, 'bad message from peer answered with an error');
      return this.reply(e.toWire());
    }
    const message = parsed.message as InboundMessage<P, D>;
    const { type, id } = message as { type: string; id?: unknown };
    const hasId = typeof id === 'string';
    if (hasId && this.servedTypes.has(type)) return this.serve(message, id);
    const pending = hasId ? this.pending.get(id) : undefined;
    if (pending) {
      if (type === 'error' || type === pending.replyType) {
        if (pending.onReply) this.deliver('reply', () => pending.onReply?.(message));
        return type === 'error' ? pending.reject(remoteError(message as unknown as WireError)) : pending.resolve(message);
      }
      return this.deliver('progress', () => pending.onProgress?.(message));
    }
    if (hasId && this.replyTypeNames.has(type)) {
      return this.throttle.warn('late_reply', { type }, 'reply for no pending request dropped (late or unknown id)');
    }
    if (!this.eventHandler) {
      if (type === 'error') return this.throttle.warn('peer_error', { code: (message as unknown as WireError).code }, 'peer reported an error');
      return this.throttle.warn('event_unhandled', { type }, 'event with no handler dropped');
    }
    const handler = this.eventHandler;
    this.deliver('event', () => handler(message));
  }

  private serve(request: InboundMessage<P, D>, id: string): void {
    const type = (request as { type: string }).type;
    if (this.inboundRunning >= this.limits.maxInboundInFlight) {
      this.throttle.warn('busy', { type, limit: this.limits.maxInboundInFlight }, 'request refused: too many in flight');
      return this.replyError(BosunError.busy(`${this.inboundRunning} requests already running on this connection; retry later`), id);
    }
    const handler = this.requestHandler;
    if (!handler) return this.replyError(BosunError.unsupported(`${type} is not served here`), id);
    this.inboundRunning += 1;
    const ctx: RequestContext<OutboundMessage<P, D>> = {
      id,
      signal: this.linkAbort.signal,
      progress: (m) => this.send({ ...m, id } as unknown as OutboundMessage<P, D>),
    };
    void Promise.resolve()
      .then(() => handler(request, ctx))
      .then(
        (reply) => {
          if (reply !== undefined) this.reply({ ...reply, id });
        },
        (err: unknown) => {
          const body = toErrorBody(err);
          if (body.code === 'internal') this.throttle.warn(`handler_failed:${type}`, { type, err: errMessage(err) }, 'request handler failed');
          this.replyError(err, id);
        },
      )
      .finally(() => (this.inboundRunning -= 1));
  }

  private deliver(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.throttle.warn(`${what}_handler`, { err: errMessage(err) }, `${what} handler failed`);
    }
  }

  private replyError(err: unknown, id: string | undefined): void {
    this.reply(errorToWire(err, this.protocol.version, id));
  }

  /**
   * Sends a reply this side owes. A far side that does not read its replies is
   * dropped: its queue is ours to bound.
   */
  private reply(message: object): void {
    if (this.closed) return;
    try {
      this.send(message as OutboundMessage<P, D>);
    } catch (err) {
      if (err instanceof BosunError && err.code === 'slow_consumer') {
        this.logger.warn({ bufferedAmount: this.stream.bufferedAmount }, 'peer is not reading its replies; closing the link');
        this.close(CLOSE_CODES.policy, 'slow_consumer: replies are not being read');
      } else if (!(err instanceof BosunError && err.code === 'disconnected')) {
        this.throttle.warn('reply_failed', { err: errMessage(err) }, 'reply could not be sent');
      }
    }
  }

  // Outbound ----------------------------------------------------------------------

  private encode(message: unknown): Uint8Array {
    if (this.closed) throw this.disconnected();
    const data = Buffer.from(JSON.stringify(message), 'utf8');
    if (data.byteLength > this.limits.remoteMaxFrameBytes) throw this.tooLarge(data.byteLength);
    return data;
  }

  private admit(bytes: number): void {
    if (this.closed) throw this.disconnected();
    const queued = this.stream.bufferedAmount;
    if (queued > this.limits.highWaterMark) {
      throw new BosunError('slow_consumer', `${queued} bytes are already queued for the peer (high-water mark ${this.limits.highWaterMark})`, {
        details: { bufferedAmount: queued, highWaterMark: this.limits.highWaterMark, frameBytes: bytes },
      });
    }
  }

  private write(frame: Frame): void {
    this.outstandingWrites += 1;
    this.stream.send(frame, () => {
      this.outstandingWrites -= 1;
      this.checkDrain();
    });
  }

  private checkDrain(): void {
    if (this.drainWaiters.length === 0) return;
    if (this.stream.bufferedAmount > this.limits.lowWaterMark) return this.armDrainPoll();
    for (const w of this.drainWaiters.splice(0)) w.resolve();
  }

  /** Write callbacks are the drain signal; when none is outstanding, look again on a timer. */
  private armDrainPoll(): void {
    if (this.outstandingWrites > 0 || this.drainPoll !== undefined || this.closed) return;
    this.drainPoll = this.clock.setTimeout(() => {
      this.drainPoll = undefined;
      this.checkDrain();
    }, 50);
  }

  // Close -------------------------------------------------------------------------

  private linkClosed(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    if (this.drainPoll !== undefined) this.clock.clearTimeout(this.drainPoll);
    const err = this.disconnected();
    for (const p of [...this.pending.values()]) p.reject(err);
    for (const w of this.drainWaiters.splice(0)) w.reject(err);
    this.linkAbort.abort(err);
    this.throttle.flush();
    for (const h of this.closeHandlers.splice(0)) {
      try {
        h(code, reason);
      } catch (e) {
        this.logger.warn({ err: errMessage(e) }, 'close handler failed');
      }
    }
  }

  private disconnected(): BosunError {
    const c = this.closedWith;
    return new BosunError('disconnected', c ? `connection closed (${c.code}${c.reason ? `: ${c.reason}` : ''})` : 'connection closed', {
      ...(c ? { details: { closeCode: c.code, reason: c.reason } } : {}),
    });
  }

  private tooLarge(size: number): BosunError {
    const max = this.limits.remoteMaxFrameBytes;
    return new BosunError('too_large', `frame of ${size} bytes is over the ${max} the peer accepts; not sent`, { details: { size, maxBytes: max } });
  }

  private indexReplyTypes(extra: Readonly<Record<string, string>>): void {
    const dirs = this.protocol.typesByDirection as Record<string, ReadonlySet<string>>;
    for (const [dir, types] of Object.entries(dirs)) {
      for (const t of types) {
        const result = `${t}.result`;
        if (Object.entries(dirs).some(([other, ts]) => other !== dir && ts.has(result))) this.replyTypes.set(t, result);
      }
    }
    for (const [req, rep] of Object.entries(extra)) this.replyTypes.set(req, rep);
    const inbound = dirs[this.receives] ?? new Set<string>();
    for (const [req, rep] of this.replyTypes) {
      if (inbound.has(req)) this.servedTypes.add(req);
      this.replyTypeNames.add(rep);
    }
  }
}

interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The far side's `error` reply as a {@link BosunError}; an unregistered code reads `internal` and is kept in `details.remoteCode`. */
/**
 * The far side's `error` reply to a request, as a {@link BosunError}: its code when
 * registered, else `internal` with `details.remoteCode`. Lets a caller tell "the peer
 * said no" from "the link failed" (`timeout`, `disconnected`, which are plain BosunErrors).
 */
export class RemoteError extends BosunError {
  /** The code exactly as the far side sent it (registered or not). */
  readonly remoteCode: string;

  constructor(wire: { code: string; message: string; details?: Record<string, unknown> }) {
    const code = isErrorCode(wire.code) ? wire.code : 'internal';
    const details = code === wire.code ? wire.details : { ...wire.details, remoteCode: wire.code };
    super(code, wire.message, details ? { details } : {});
    this.remoteCode = wire.code;
  }
}

function remoteError(m: WireError): BosunError {
  return new RemoteError(m);
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
