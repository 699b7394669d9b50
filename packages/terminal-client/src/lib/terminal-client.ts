/**
 * A client of the viewer protocol (`packages/protocol/src/lib/viewer/`) for any
 * WebSocket: the browser's `WebSocket` or `ws` in Node. It never touches the DOM; it
 * emits typed events and the caller draws them (xterm.js in the page, stdout in
 * `bosun attach`).
 *
 * ```
 * hub → viewer  text:   terminal, attached, snapshot, resync, exit, waiting, dropped, error
 *               binary: output bytes, contiguous from the offset last told
 * viewer → hub  text:   resize {cols, rows}
 *               binary: input bytes (only once attached)
 * ```
 *
 * The client counts every output byte it hands on, so `offset` is always the offset of
 * the next byte it needs. A socket that closes for a reason that reconnecting can fix
 * is opened again at exactly that offset (never from 0, never past it), after a backoff
 * that grows until a connection has stayed attached for `stableMs`. It stops for good on
 * `exit` (ended: no input, no reconnect), on the refusal close codes (4001 revoked,
 * 4004 attach refused, 1008 bad request, 1009 too large) and on {@link TerminalClient.close}.
 */
import { parseMessage, VIEWER_CLOSE, VIEWER_PROTOCOL_VERSION, viewerProtocol, type HubToViewerMessage } from '@bosun/protocol';

/**
 * What the client needs of a WebSocket: the event-handler properties both the
 * browser's and `ws`'s have. Handlers are typed loosely (`never`) so either socket type
 * fits; the client reads `data` of message events and `code`/`reason` of close events.
 */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onmessage: ((ev: never) => unknown) | null;
  onclose: ((ev: never) => unknown) | null;
  onerror: ((ev: never) => unknown) | null;
}

/** The handler types the client assigns. */
interface Handlers {
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Where a (re)connection should start: the terminal (absent before the first `terminal` frame) and the offset of the next byte needed. */
export interface ConnectTarget {
  terminalId: string | undefined;
  offset: number;
}

/** Timers, injected so tests drive the backoff without waiting (structurally a subset of @bosun/util's `Clock`). */
export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Backoff of reconnects: `min(maxMs, initialMs × factor^n)` with n the failures since the last stable connection, jittered down by up to `jitter`. */
export interface BackoffOptions {
  /** First delay, ms (default 250). */
  initialMs?: number;
  /** Largest delay, ms (default 10 000). */
  maxMs?: number;
  /** Growth per failure (default 2). */
  factor?: number;
  /** Fraction of the delay taken off at random, 0…1 (default 0.2), so many viewers do not reconnect in step. */
  jitter?: number;
}

/** Options of {@link TerminalClient}. */
export interface TerminalClientOptions {
  /** Opens a socket for `target` (the caller builds the URL, subprotocols and auth). Called again for every reconnect. */
  connect: (target: ConnectTarget) => SocketLike;
  /** Terminal to resume (default: none; the first connection opens one and the `terminal` frame names it). */
  terminalId?: string;
  /** Offset to resume at (default 0). */
  offset?: number;
  /** Reconnect backoff (defaults in {@link BackoffOptions}). */
  backoff?: BackoffOptions;
  /** How long a connection must stay attached before the backoff starts again from `initialMs` (default 5 000 ms). */
  stableMs?: number;
  /** Timers (default the global `setTimeout`/`clearTimeout`). */
  timers?: ClientTimers;
  /** Random source in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
}

/**
 * Where the client is:
 * - `connecting`: a socket is opening or waiting for `attached`;
 * - `attached`: output flows and input is accepted;
 * - `waiting`: the hub is up but the worker is not (the hub reattaches by itself);
 * - `reconnecting`: the socket closed; a new one opens after `retryInMs`;
 * - `ended`: the terminal's process exited (or the terminal is gone); final;
 * - `refused`: the hub refused this viewer (close 4001/4004/1008/1009); final;
 * - `closed`: {@link TerminalClient.close} was called; final.
 */
export type TerminalClientState = 'connecting' | 'attached' | 'waiting' | 'reconnecting' | 'ended' | 'refused' | 'closed';

/** A `state` event. */
export interface TerminalClientStatus {
  state: TerminalClientState;
  /** Why, in words, when the hub or the socket said. */
  reason?: string;
  /** For `reconnecting`: the delay before the next connection. */
  retryInMs?: number;
  /** For `ended`: the process's exit code (null when killed by a signal). */
  exitCode?: number | null;
  /** For `ended`: the signal that killed it. */
  signal?: string;
  /** For `refused`: the close code. */
  closeCode?: number;
}

/** Events of {@link TerminalClient}, by name. */
export interface TerminalClientEvents {
  /** The hub named the terminal this client shows (first frame of every connection). */
  terminal: { terminalId: string; offset: number };
  /** Output bytes; `offset` is the offset of `bytes[0]`. */
  data: { bytes: Uint8Array; offset: number };
  /** Reset the screen, then write `data` (ANSI); output continues at `offset`. */
  snapshot: { data: string; offset: number };
  /** The worker's stream began again below the client's offset; output continues at `offset`. */
  resync: { offset: number; reason?: string };
  /** The client's state changed. */
  state: TerminalClientStatus;
  /** A typed error from the hub, or a frame the client could not parse (`code` from the error registry). */
  error: { code: string; message: string };
}

type Listener<T> = (event: T) => void;

const FINAL: ReadonlySet<TerminalClientState> = new Set(['ended', 'refused', 'closed']);
/** Close codes after which reconnecting cannot help. */
const STOP_CODES: ReadonlySet<number> = new Set([
  VIEWER_CLOSE.revoked.code,
  VIEWER_CLOSE.refused.code,
  VIEWER_CLOSE.badRequest.code,
  VIEWER_CLOSE.tooLarge.code,
]);
const OPEN = 1;

const defaultTimers: ClientTimers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as Parameters<typeof globalThis.clearTimeout>[0]),
};

/**
 * One terminal seen through the viewer protocol, with offset-tracking reconnects.
 * Call {@link start} once, feed {@link write}/{@link resize}, listen with {@link on}.
 */
export class TerminalClient {
  private readonly listeners = new Map<keyof TerminalClientEvents, Set<Listener<never>>>();
  private readonly o: {
    connect: TerminalClientOptions['connect'];
    initialMs: number;
    maxMs: number;
    factor: number;
    jitter: number;
    stableMs: number;
    timers: ClientTimers;
    random: () => number;
  };
  private socket: SocketLike | undefined;
  private current: TerminalClientStatus = { state: 'connecting' };
  private id: string | undefined;
  private pos: number;
  private failures = 0;
  private retryTimer: unknown;
  private stableTimer: unknown;
  private size: { cols: number; rows: number } | undefined;
  private started = false;
  private readonly encoder = new TextEncoder();

  constructor(opts: TerminalClientOptions) {
    const b = opts.backoff ?? {};
    this.o = Object.freeze({
      connect: opts.connect,
      initialMs: b.initialMs ?? 250,
      maxMs: b.maxMs ?? 10_000,
      factor: b.factor ?? 2,
      jitter: Math.min(1, Math.max(0, b.jitter ?? 0.2)),
      stableMs: opts.stableMs ?? 5000,
      timers: opts.timers ?? defaultTimers,
      random: opts.random ?? Math.random,
    });
    this.id = opts.terminalId;
    this.pos = opts.offset ?? 0;
  }

  /** The terminal's id, once the hub named it (or as given). */
  get terminalId(): string | undefined {
    return this.id;
  }

  /** Offset of the next output byte this client needs. */
  get offset(): number {
    return this.pos;
  }

  /** The current state. */
  get state(): TerminalClientState {
    return this.current.state;
  }

  /** The current state with its details. */
  get status(): TerminalClientStatus {
    return { ...this.current };
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof TerminalClientEvents>(event: K, fn: Listener<TerminalClientEvents[K]>): () => void {
    const set = this.listeners.get(event) ?? new Set<Listener<never>>();
    this.listeners.set(event, set);
    set.add(fn as Listener<never>);
    return () => void set.delete(fn as Listener<never>);
  }

  /** Opens the first connection. Calling it again does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.open();
  }

  /**
   * Sends keystrokes or a paste (strings as UTF-8). Returns false, sending nothing, when
   * the client is not attached (connecting, waiting, reconnecting, ended…).
   */
  write(data: string | Uint8Array): boolean {
    const s = this.socket;
    if (this.current.state !== 'attached' || !s || s.readyState !== OPEN) return false;
    s.send(typeof data === 'string' ? this.encoder.encode(data) : data);
    return true;
  }

  /** Tells the terminal its new size (now if attached, else at the next attach). */
  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
    if (this.current.state === 'attached') this.sendResize();
  }

  /** Stops for good: closes the socket (1000) and cancels any reconnect. The terminal keeps running on the worker. */
  close(): void {
    if (FINAL.has(this.current.state)) return;
    this.finish({ state: 'closed' }, 1000, 'closed by the viewer');
  }

  private emit<K extends keyof TerminalClientEvents>(event: K, value: TerminalClientEvents[K]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) (fn as Listener<TerminalClientEvents[K]>)(value);
  }

  private setState(status: TerminalClientStatus): void {
    this.current = status;
    this.emit('state', { ...status });
  }

  private open(): void {
    this.setState({ state: 'connecting' });
    let s: SocketLike;
    try {
      s = this.o.connect({ terminalId: this.id, offset: this.pos });
    } catch (err) {
      this.emit('error', { code: 'internal', message: `could not open a socket: ${(err as Error).message}` });
      this.scheduleReconnect('could not open a socket');
      return;
    }
    this.socket = s;
    s.binaryType = 'arraybuffer';
    const h = s as unknown as Handlers;
    h.onmessage = (ev) => {
      if (this.socket === s) this.onFrame(ev.data);
    };
    h.onclose = (ev) => {
      if (this.socket === s) this.onClose(ev.code, ev.reason);
    };
    h.onerror = () => undefined;
  }

  private onFrame(data: unknown): void {
    if (FINAL.has(this.current.state)) return;
    if (typeof data !== 'string') {
      const bytes = toBytes(data);
      if (!bytes) return;
      const at = this.pos;
      this.pos += bytes.byteLength;
      this.emit('data', { bytes, offset: at });
      return;
    }
    const parsed = parseMessage(viewerProtocol, data, { direction: 'toViewer' });
    if (!parsed.ok) {
      this.emit('error', { code: parsed.error.code, message: `bad frame from the hub: ${parsed.error.message}` });
      return;
    }
    this.onControl(parsed.message as HubToViewerMessage);
  }

  private onControl(msg: HubToViewerMessage): void {
    switch (msg.type) {
      case 'terminal':
        // A fresh terminal starts where the hub says; a resumed one was asked for at our offset.
        if (this.id === undefined) this.pos = msg.offset;
        this.id = msg.terminalId;
        this.emit('terminal', { terminalId: msg.terminalId, offset: msg.offset });
        return;
      case 'attached':
        this.setState({ state: 'attached' });
        this.armStable();
        if (this.size) this.sendResize();
        return;
      case 'snapshot':
        this.pos = msg.offset;
        this.emit('snapshot', { data: msg.data, offset: msg.offset });
        return;
      case 'resync':
        this.pos = msg.offset;
        this.emit('resync', { offset: msg.offset, ...(msg.reason === undefined ? {} : { reason: msg.reason }) });
        return;
      case 'exit':
        this.finish({ state: 'ended', exitCode: msg.exitCode, ...(msg.signal ? { signal: msg.signal } : {}), reason: exitReason(msg.exitCode, msg.signal) }, 1000, 'terminal ended');
        return;
      case 'waiting':
        this.disarmStable();
        this.setState({ state: 'waiting', reason: msg.reason });
        return;
      case 'dropped':
        // The hub closes next; the reconnect resumes at the offset it names.
        this.pos = msg.offset;
        if (msg.code === 'revoked') this.finish({ state: 'refused', reason: msg.message, closeCode: VIEWER_CLOSE.revoked.code }, 1000, 'revoked');
        return;
      case 'error':
        this.emit('error', { code: msg.code, message: msg.message });
        return;
    }
  }

  private onClose(code: number, reason: string): void {
    this.socket = undefined;
    this.disarmStable();
    if (FINAL.has(this.current.state)) return;
    if (STOP_CODES.has(code)) {
      this.finish({ state: 'refused', reason: reason || `closed with ${code}`, closeCode: code });
      return;
    }
    if (code === VIEWER_CLOSE.openFailed.code && this.id === undefined) {
      // The worker could not open a terminal in the container; trying again would not help.
      this.finish({ state: 'refused', reason: reason || 'open failed', closeCode: code });
      return;
    }
    this.scheduleReconnect(reason || `socket closed (${code})`);
  }

  private scheduleReconnect(reason: string): void {
    const base = Math.min(this.o.maxMs, this.o.initialMs * this.o.factor ** this.failures);
    const delay = Math.max(0, Math.round(base * (1 - this.o.jitter * this.o.random())));
    this.failures += 1;
    this.setState({ state: 'reconnecting', reason, retryInMs: delay });
    this.retryTimer = this.o.timers.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.current.state === 'reconnecting') this.open();
    }, delay);
  }

  private armStable(): void {
    this.disarmStable();
    this.stableTimer = this.o.timers.setTimeout(() => {
      this.stableTimer = undefined;
      this.failures = 0;
    }, this.o.stableMs);
  }

  private disarmStable(): void {
    if (this.stableTimer === undefined) return;
    this.o.timers.clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
  }

  private sendResize(): void {
    const s = this.socket;
    if (!s || s.readyState !== OPEN || !this.size) return;
    s.send(JSON.stringify({ v: VIEWER_PROTOCOL_VERSION, type: 'resize', cols: this.size.cols, rows: this.size.rows }));
  }

  private finish(status: TerminalClientStatus, code?: number, reason?: string): void {
    this.disarmStable();
    if (this.retryTimer !== undefined) {
      this.o.timers.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    const s = this.socket;
    this.socket = undefined;
    this.setState(status);
    if (s && code !== undefined) {
      try {
        s.close(code, reason);
      } catch {
        // Already closing.
      }
    }
  }
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) {
    // ws with binaryType 'fragments'.
    const parts = data.filter((p): p is Uint8Array => ArrayBuffer.isView(p));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }
  return undefined;
}

function exitReason(exitCode: number | null, signal: string | undefined): string {
  if (signal) return `the process was killed by ${signal}`;
  return exitCode === null ? 'the process ended' : `the process exited with code ${exitCode}`;
}
