import { randomBytes } from 'node:crypto';
import type { ContainerDriver, ContainerRef } from '@bosun/container-driver';
import { encodeTerminalFrame, WORKER_PROTOCOL_VERSION as V, type WorkerCommand, type WorkerToOrchestratorMessage } from '@bosun/protocol';
import { fromDuplex, type PtyManager, type SpawnFactory, type TerminalSession, type Viewer, type ViewerMessage } from '@bosun/pty-manager';
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

/** Who a terminal belongs to, kept in the session name so it survives a tmux rediscovery. */
interface Owner {
  tenant: string;
  containerId?: string;
}

function encodeName(owner: Owner, name?: string): string {
  return JSON.stringify({ t: owner.tenant, c: owner.containerId ?? null, n: name ?? null });
}

function decodeOwner(sessionName: string): Owner | undefined {
  try {
    const o = JSON.parse(sessionName) as { t?: string; c?: string | null };
    return typeof o.t === 'string' ? { tenant: o.t, ...(o.c ? { containerId: o.c } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@link TerminalBridge}. */
export interface TerminalBridgeOptions {
  manager: PtyManager;
  driver: ContainerDriver;
  logger: Logger;
  /** Allow terminals on the worker host itself (no `containerId`) (default false). */
  allowHostShell?: boolean;
  /**
   * Run container terminals as `<podman> exec -it` inside the manager's tmux, so they
   * survive a worker restart (default: off; terminals run on the driver's TTY exec).
   * Needs the PTY manager's tmux backend and the Podman CLI on the same storage.
   */
  tmuxPodmanPath?: string;
}

/**
 * Serves `terminal.*` commands with the PTY manager: terminals in containers run on the
 * driver's TTY exec, output goes to the orchestrator as binary frames addressed by
 * offset, and one viewer per terminal follows the current connection. When the
 * connection drops the viewers go, the terminals stay; the orchestrator reattaches with
 * `terminal.open {terminalId, fromOffset}` and gets exactly the bytes it missed.
 */
export class TerminalBridge implements TerminalCommands {
  private link: TerminalLink | undefined;
  private readonly viewers = new Map<string, Viewer>();

  constructor(private readonly o: TerminalBridgeOptions) {}

  /** Sets (or clears, on disconnect) the connection output goes to; clearing detaches every viewer. */
  setLink(link: TerminalLink | undefined): void {
    this.link = link;
    if (!link) {
      for (const v of this.viewers.values()) v.detach();
      this.viewers.clear();
    }
  }

  /** Terminals alive now, with the offset a viewer may resume from (for `worker.register`). */
  alive(): { terminalId: string; offset: number; containerId?: string }[] {
    return this.o.manager
      .list()
      .filter((s) => s.status === 'alive')
      .map((s) => {
        const owner = decodeOwner(s.name);
        return { terminalId: s.id, offset: s.offset, ...(owner?.containerId ? { containerId: owner.containerId } : {}) };
      });
  }

  /** A binary input frame from the orchestrator. Unknown terminals are ignored (and logged). */
  input(terminalId: string, data: Uint8Array): void {
    try {
      this.o.manager.write(terminalId, Buffer.from(data));
    } catch (err) {
      this.o.logger.warn({ terminalId, err: (err as Error).message }, 'input for a terminal that is gone');
    }
  }

  async handle(cmd: TerminalCommand): Promise<WorkerToOrchestratorMessage> {
    switch (cmd.type) {
      case 'terminal.open':
        return this.open(cmd);
      case 'terminal.input':
        this.session(cmd.terminalId).write(cmd.data);
        return { v: V, type: 'terminal.input.result', id: cmd.id, terminalId: cmd.terminalId };
      case 'terminal.resize': {
        const size = this.session(cmd.terminalId).resize(cmd.cols, cmd.rows);
        return { v: V, type: 'terminal.resize.result', id: cmd.id, terminalId: cmd.terminalId, ...size };
      }
      case 'terminal.close':
        this.session(cmd.terminalId);
        this.viewers.get(cmd.terminalId)?.detach();
        this.viewers.delete(cmd.terminalId);
        await this.o.manager.remove(cmd.terminalId, { signal: (cmd.signal ?? 'SIGHUP') as NodeJS.Signals });
        return { v: V, type: 'terminal.close.result', id: cmd.id, terminalId: cmd.terminalId };
      default:
        throw new CommandError('unknown_type', `unknown terminal command`);
    }
  }

  private session(terminalId: string): TerminalSession {
    try {
      return this.o.manager.get(terminalId);
    } catch {
      throw new CommandError('not_found', `terminal ${terminalId} not found`);
    }
  }

  private async open(cmd: Extract<TerminalCommand, { type: 'terminal.open' }>): Promise<WorkerToOrchestratorMessage> {
    let session: TerminalSession;
    if (cmd.terminalId) {
      session = this.session(cmd.terminalId);
      const owner = decodeOwner(session.name);
      // Another tenant's terminal is reported exactly like a missing one.
      if (owner?.tenant !== cmd.tenant) throw new CommandError('not_found', `terminal ${cmd.terminalId} not found`);
    } else {
      if (!cmd.containerId && !this.o.allowHostShell) {
        throw new CommandError('forbidden', 'host terminals are disabled on this worker: give a containerId');
      }
      const ref: ContainerRef | undefined = cmd.containerId ? { tenant: cmd.tenant, id: cmd.containerId } : undefined;
      // not_found (tenant-scoped) before anything is spawned
      const engineId = ref ? (await this.o.driver.inspect(ref)).id : undefined;
      const [command, ...args] = cmd.cmd ?? ['/bin/sh'];
      const common = {
        id: `t${randomBytes(8).toString('hex')}`,
        name: encodeName({ tenant: cmd.tenant, containerId: cmd.containerId }, cmd.name),
        cols: cmd.cols,
        rows: cmd.rows,
      };
      if (ref && engineId && this.o.tmuxPodmanPath) {
        const envArgs = Object.entries({ TERM: 'xterm-256color', ...(cmd.env ?? {}) }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
        session = await this.o.manager.create({
          ...common,
          command: this.o.tmuxPodmanPath,
          args: ['exec', '-it', ...envArgs, ...(cmd.workingDir ? ['-w', cmd.workingDir] : []), engineId, command, ...args],
          tmux: true,
        });
      } else {
        session = await this.o.manager.create({
          ...common,
          command,
          args,
          ...(cmd.env ? { env: cmd.env } : {}),
          ...(ref ? { spawn: this.containerSpawn(ref, cmd.env, cmd.workingDir), tmux: false } : cmd.workingDir ? { cwd: cmd.workingDir } : {}),
        });
      }
    }
    const start = this.attach(session, cmd.fromOffset);
    return { v: V, type: 'terminal.open.result', id: cmd.id, terminalId: session.id, offset: start };
  }

  /**
   * Attaches this connection's viewer (replacing an older one). Messages are held until
   * the `terminal.open.result` has gone out, so the orchestrator never sees a frame of a
   * terminal it has not been told about.
   */
  private attach(session: TerminalSession, fromOffset: number | undefined): number {
    const link = this.link;
    if (!link) throw new CommandError('disconnected', 'no orchestrator connection');
    this.viewers.get(session.id)?.detach();
    const held: ViewerMessage[] = [];
    let gateOpen = false;
    const deliver = (msg: ViewerMessage): Promise<void> | void => this.deliver(link, session.id, msg);
    const { viewer, start } = session.attach({
      fromOffset: fromOffset ?? session.offset,
      id: `orchestrator-${session.id}`,
      onMessage: (msg) => (gateOpen ? deliver(msg) : void held.push(msg)),
    });
    this.viewers.set(session.id, viewer);
    // setImmediate runs after the promise chain that sends the reply has settled.
    setImmediate(() => {
      gateOpen = true;
      for (const m of held.splice(0)) void deliver(m);
    });
    return start.offset;
  }

  private deliver(link: TerminalLink, terminalId: string, msg: ViewerMessage): Promise<void> | void {
    switch (msg.type) {
      case 'data':
        return link.sendBinary(encodeTerminalFrame({ terminalId, offset: msg.offset, data: msg.data }));
      case 'snapshot':
        link.send({ v: V, type: 'terminal.snapshot', terminalId, offset: msg.offset, data: msg.data.toString('utf8') });
        return;
      case 'exit':
        this.viewers.delete(terminalId);
        link.send({
          v: V,
          type: 'terminal.exit',
          terminalId,
          exitCode: msg.exitCode,
          ...(typeof msg.signal === 'string' && /^SIG[A-Z0-9]{2,10}$/.test(msg.signal) ? { signal: msg.signal } : {}),
        });
        return;
      case 'dropped':
        this.viewers.delete(terminalId);
        link.send({ v: V, type: 'error', code: 'viewer_dropped', message: msg.message, details: { terminalId, reason: msg.reason } });
        return;
      case 'resize':
        return;
    }
  }

  /** A spawn factory that runs the terminal's program through the driver's TTY exec. */
  private containerSpawn(ref: ContainerRef, env: Record<string, string> | undefined, workingDir: string | undefined): SpawnFactory {
    return async (req) => {
      const tty = await this.o.driver.execTty(ref, {
        cmd: [req.command, ...req.args],
        env: { TERM: req.termName, ...(env ?? {}) },
        ...(workingDir ? { workingDir } : {}),
        cols: req.cols,
        rows: req.rows,
      });
      return fromDuplex({ stream: tty.stream, resize: (c, r) => tty.resize(c, r), exit: tty.exited, kill: () => tty.close() });
    };
  }
}
