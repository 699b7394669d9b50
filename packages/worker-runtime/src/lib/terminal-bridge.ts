import { isDriverError, type ContainerDriver } from '@bosun/container-driver';
import {
  MAX_TERMINAL_INPUT_FRAME_BYTES,
  encodeTerminalFrame,
  toErrorBody,
  WORKER_PROTOCOL_VERSION as V,
  type ErrorCode,
  type WorkerCommand,
  type WorkerToOrchestratorMessage,
  SignalSchema,
} from '@bosun/protocol';
import type { PtyManager, ViewerMessage } from '@bosun/pty-manager';
import { TerminalService, type TerminalHandle, type TerminalOwner } from '@bosun/terminal-service';
import { LogThrottle, type Clock } from '@bosun/util';
import { CommandError, type TerminalCommands } from './command-handler.js';
import type { Logger } from './logger.js';

/** The orchestrator connection as the bridge sees it. */
export interface TerminalLink {
  /** JSON events (`terminal.snapshot`, `terminal.exit`, `error`). */
  send(message: WorkerToOrchestratorMessage): void;
  /** A binary output frame; resolves once the socket has taken it (that is the viewer's backpressure). */
  sendBinary(frame: Uint8Array): Promise<void>;
}

type TerminalCommand = Extract<WorkerCommand, { type: `terminal.${string}` }>;

/** Output a terminal may have on the orchestrator link, not yet taken by the socket, before its program is paused (resumed at half). */
export const ORCHESTRATOR_PENDING_BYTES = 1024 * 1024;

/**
 * Options of {@link TerminalBridge}: either a {@link TerminalService} the app built (and
 * reconciled), or what to build one from (the manager, driver and host-shell/tmux
 * settings, with the service's defaults: no saved owners, no reconcile).
 */
export type TerminalBridgeOptions = {
  logger: Logger;
  /** Timers of the refusal log throttle (default: the system clock). */
  clock?: Clock;
} & (
  | { service: TerminalService }
  | {
      manager: PtyManager;
      driver: ContainerDriver;
      /** Allow terminals on the worker host itself (no `containerId`) (default false). */
      allowHostShell?: boolean;
      /** Run container terminals as `<podman> exec -it` inside the manager's tmux (default: off). */
      tmuxPodmanPath?: string;
    }
);

interface Attachment {
  owner: TerminalOwner;
  handle: TerminalHandle;
  exited: boolean;
}

/**
 * Serves the worker protocol's `terminal.*` commands over a {@link TerminalService}:
 * translates commands (each naming its `tenant`) into service calls and viewer
 * messages into wire frames (binary output frames addressed by offset,
 * `terminal.snapshot`, `terminal.exit`, `error` `viewer_dropped`). One viewer per
 * terminal follows the current connection; when it drops, the viewers go and the
 * terminals stay, and the orchestrator reattaches with `terminal.open {terminalId,
 * fromOffset}`. Binary input frames are accepted only for terminals this connection
 * attached through a `terminal.open` of their tenant; any other is refused with an
 * `error` and never written.
 */
export class TerminalBridge implements TerminalCommands {
  /** The service behind the bridge (the app calls `reconcile()` on it once at start). */
  readonly service: TerminalService;
  private link: TerminalLink | undefined;
  private readonly attached = new Map<string, Attachment>();
  private readonly throttle: LogThrottle;

  constructor(o: TerminalBridgeOptions) {
    this.service =
      'service' in o
        ? o.service
        : new TerminalService({
            manager: o.manager,
            driver: o.driver,
            logger: o.logger,
            ...(o.allowHostShell === undefined ? {} : { allowHostShell: o.allowHostShell }),
            ...(o.tmuxPodmanPath === undefined ? {} : { tmuxPodmanPath: o.tmuxPodmanPath }),
          });
    this.throttle = new LogThrottle({ logger: o.logger, ...(o.clock ? { clock: o.clock } : {}) });
  }

  /**
   * Sets (or clears, on disconnect) the connection output goes to. The viewers of a
   * previous connection are detached, so input frames are only taken for terminals
   * the current connection opened.
   */
  setLink(link: TerminalLink | undefined): void {
    if (link !== this.link) {
      for (const a of this.attached.values()) a.handle.detach();
      this.attached.clear();
      this.throttle.flush();
    }
    this.link = link;
  }

  /** Terminals alive now, with the offset a viewer may resume from (for `worker.register`). */
  alive(): { terminalId: string; offset: number; containerId?: string }[] {
    return this.service.alive().map((t) => ({ terminalId: t.terminalId, offset: t.offset, ...(t.containerId ? { containerId: t.containerId } : {}) }));
  }

  /**
   * A binary input frame from the orchestrator. Written only when this connection
   * attached the terminal through `terminal.open` (for its tenant) and the payload is at
   * most {@link MAX_TERMINAL_INPUT_FRAME_BYTES}; otherwise an `error` goes back
   * (`not_found`, `too_large`, …) and the refusal is logged, throttled.
   */
  input(terminalId: string, data: Uint8Array): void {
    const a = this.attached.get(terminalId);
    if (!a || !a.handle.attached || a.exited) return this.refuse(terminalId, 'not_found', `terminal ${terminalId} is not attached on this connection`);
    if (data.byteLength > MAX_TERMINAL_INPUT_FRAME_BYTES) {
      return this.refuse(terminalId, 'too_large', `input frame of ${data.byteLength} bytes is over the ${MAX_TERMINAL_INPUT_FRAME_BYTES} allowed`);
    }
    try {
      this.service.input(a.owner, terminalId, data);
    } catch (err) {
      const body = toErrorBody(err);
      this.refuse(terminalId, body.code, body.message);
    }
  }

  async handle(cmd: TerminalCommand): Promise<WorkerToOrchestratorMessage> {
    try {
      return await this.dispatch(cmd);
    } catch (err) {
      throw asCommandError(err);
    }
  }

  private async dispatch(cmd: TerminalCommand): Promise<WorkerToOrchestratorMessage> {
    switch (cmd.type) {
      case 'terminal.open':
        return this.open(cmd);
      case 'terminal.input':
        this.service.input({ tenant: cmd.tenant }, cmd.terminalId, cmd.data);
        return { v: V, type: 'terminal.input.result', id: cmd.id, terminalId: cmd.terminalId };
      case 'terminal.resize': {
        const size = this.service.resize({ tenant: cmd.tenant }, cmd.terminalId, cmd.cols, cmd.rows);
        return { v: V, type: 'terminal.resize.result', id: cmd.id, terminalId: cmd.terminalId, ...size };
      }
      case 'terminal.close':
        // The viewer stays attached through the close, so `terminal.exit` goes out before the result.
        await this.service.close({ tenant: cmd.tenant }, cmd.terminalId, { signal: (cmd.signal ?? 'SIGHUP') as NodeJS.Signals });
        this.attached.delete(cmd.terminalId);
        return { v: V, type: 'terminal.close.result', id: cmd.id, terminalId: cmd.terminalId };
      default:
        throw new CommandError('unknown_type', `unknown terminal command`);
    }
  }

  private async open(cmd: Extract<TerminalCommand, { type: 'terminal.open' }>): Promise<WorkerToOrchestratorMessage> {
    if (!this.link) throw new CommandError('disconnected', 'no orchestrator connection');
    const owner = { tenant: cmd.tenant };
    let terminalId: string;
    let fromOffset = cmd.fromOffset;
    if (cmd.terminalId) {
      terminalId = this.service.get(owner, cmd.terminalId).terminalId;
    } else {
      const t = await this.service.open(owner, {
        ...(cmd.containerId ? { containerId: cmd.containerId } : {}),
        ...(cmd.cmd ? { cmd: cmd.cmd } : {}),
        ...(cmd.env ? { env: cmd.env } : {}),
        ...(cmd.workingDir ? { cwd: cmd.workingDir } : {}),
        ...(cmd.name ? { name: cmd.name } : {}),
        cols: cmd.cols,
        rows: cmd.rows,
      });
      terminalId = t.terminalId;
      // A new terminal's first bytes (a prompt) were written before anyone could attach: they belong to the live stream.
      fromOffset ??= 0;
    }
    const start = this.attach(owner, terminalId, fromOffset);
    return { v: V, type: 'terminal.open.result', id: cmd.id, terminalId, offset: start };
  }

  /**
   * Attaches this connection's viewer (replacing an older one). Messages are held until
   * the `terminal.open.result` has gone out, so the orchestrator never sees a frame of a
   * terminal it has not been told about.
   */
  private attach(owner: TerminalOwner, terminalId: string, fromOffset: number | undefined): number {
    const link = this.link;
    if (!link) throw new CommandError('disconnected', 'no orchestrator connection');
    const entry: Attachment = { owner, handle: undefined as unknown as TerminalHandle, exited: false };
    const deliver = (msg: ViewerMessage): Promise<void> | void => this.deliver(link, terminalId, entry, msg);
    const { handle, start } = this.service.attach(owner, terminalId, {
      ...(fromOffset === undefined ? {} : { fromOffset }),
      viewerId: `orchestrator-${terminalId}`,
      // The link relays to every viewer of the terminal: when it falls behind, the program
      // waits (as over SSH) instead of the link losing its place and every viewer a replay.
      flow: 'pause',
      maxPendingBytes: ORCHESTRATOR_PENDING_BYTES,
      hold: true,
      onMessage: deliver,
    });
    entry.handle = handle;
    const previous = this.attached.get(terminalId);
    this.attached.set(terminalId, entry);
    previous?.handle.detach();
    // setImmediate runs after the promise chain that sends the reply has settled.
    setImmediate(() => handle.release());
    return start.offset;
  }

  private deliver(link: TerminalLink, terminalId: string, entry: Attachment, msg: ViewerMessage): Promise<void> | void {
    switch (msg.type) {
      case 'data':
        return link.sendBinary(encodeTerminalFrame({ terminalId, offset: msg.offset, data: msg.data }));
      case 'snapshot':
        link.send({ v: V, type: 'terminal.snapshot', terminalId, offset: msg.offset, data: msg.data.toString('utf8') });
        return;
      case 'exit':
        entry.exited = true;
        link.send({
          v: V,
          type: 'terminal.exit',
          terminalId,
          exitCode: msg.exitCode,
          ...(typeof msg.signal === 'string' && SignalSchema.safeParse(msg.signal).success ? { signal: msg.signal } : {}),
        });
        return;
      case 'dropped':
        if (this.attached.get(terminalId) === entry) this.attached.delete(terminalId);
        // After an exit, the session's removal is no news to the orchestrator.
        if (!entry.exited) link.send({ v: V, type: 'error', code: 'viewer_dropped', message: msg.message, details: { terminalId, reason: msg.reason } });
        return;
      case 'resize':
        return;
    }
  }

  private refuse(terminalId: string, code: ErrorCode, message: string): void {
    this.throttle.warn(`input:${code}`, { terminalId, code }, 'refused a terminal input frame');
    this.link?.send({ v: V, type: 'error', code, message: message.slice(0, 4096), details: { terminalId } });
  }
}

/** Errors the command handler maps by itself pass through; any other registered code becomes a {@link CommandError}. */
function asCommandError(err: unknown): unknown {
  if (err instanceof CommandError || isDriverError(err)) return err;
  const body = toErrorBody(err);
  return body.code === 'internal' ? err : new CommandError(body.code, body.message);
}
