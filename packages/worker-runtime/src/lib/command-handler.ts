/**
 * The worker's adapter for container and image commands: worker command ⇄
 * `SandboxService` call ⇄ wire reply. No container logic lives here.
 */
import type { ContainerInfo, ContainerRef } from '@bosun/container-driver';
import {
  errorToWire,
  WORKER_PROTOCOL_VERSION,
  type ContainerSummarySchema,
  type WorkerCommand,
  type WorkerCommandType,
  type WorkerToOrchestratorMessage,
} from '@bosun/protocol';
import { SandboxService, type SecurityProfile } from '@bosun/sandbox';
import type { ContainerDriver } from '@bosun/container-driver';
import type { z } from 'zod';
import type { Logger } from './logger.js';

/** A summary of one container in wire form. */
export type ContainerSummary = z.infer<typeof ContainerSummarySchema>;

/** Where command replies and progress go. */
export interface ReplySink {
  /** Sends a JSON message (progress, events) before the final reply. */
  send(message: WorkerToOrchestratorMessage): void;
}

/** Terminal commands, served by the terminal bridge (see terminal-bridge.ts). */
export interface TerminalCommands {
  handle(cmd: Extract<WorkerCommand, { type: `terminal.${string}` }>): Promise<WorkerToOrchestratorMessage>;
}

/** Options of {@link CommandHandler}. */
export interface CommandHandlerOptions {
  /**
   * The sandbox service containers and images go through. Default: one built from
   * `driver` and the options below (kept so existing callers work unchanged).
   */
  sandbox?: SandboxService;
  /** Driver for the default `sandbox`; required when `sandbox` is not given. */
  driver?: ContainerDriver;
  terminals?: TerminalCommands;
  /** Weakest security profile accepted (default `open`); only for the default `sandbox`. */
  securityFloor?: SecurityProfile;
  /** Host directories bind mounts and build contexts may come from (default none); only for the default `sandbox`. */
  allowedRoots?: readonly string[];
  /** Deadline of `container.exec` when the command gives none (default 5 min); only for the default `sandbox`. */
  execTimeoutMs?: number;
  /** Output cap of exec and capture, per stream (default 1 MiB); only for the default `sandbox`. */
  maxOutputBytes?: number;
  /** Deadline of `image.build` (default 30 min); only for the default `sandbox`. */
  buildTimeoutMs?: number;
  logger: Logger;
}

/**
 * A failure with a wire error code, thrown by the terminal bridge. Prefer `BosunError`
 * from `@bosun/protocol` in new code; a `code` not in the registry is sent as `internal`.
 */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Reply = WorkerToOrchestratorMessage;
type Of<T extends WorkerCommandType> = Extract<WorkerCommand, { type: T }>;
const V = WORKER_PROTOCOL_VERSION;
/** Longest progress line sent on the wire. */
const MAX_PROGRESS_LINE = 65_536;

/** Turns a driver container into its wire summary. */
export function toSummary(c: ContainerInfo): ContainerSummary {
  return {
    containerId: c.id,
    ...(c.name ? { name: c.name } : {}),
    tenant: c.tenant,
    workspaceId: c.workspace,
    image: c.image,
    state: c.status,
    labels: c.labels,
    createdAt: c.createdAt,
  };
}

/**
 * Executes the worker protocol's commands through the {@link SandboxService} (and the
 * terminal bridge for `terminal.*`). Every command gets exactly one reply: its
 * `<type>.result`, or an `error` whose code comes from the one registry (`errorToWire`).
 */
export class CommandHandler {
  /** The service every container and image command goes through. */
  readonly sandbox: SandboxService;
  private readonly terminals: TerminalCommands | undefined;
  private readonly logger: Logger;

  constructor(options: CommandHandlerOptions) {
    this.logger = options.logger;
    this.terminals = options.terminals;
    if (options.sandbox) {
      this.sandbox = options.sandbox;
    } else {
      if (!options.driver) throw new TypeError('CommandHandler needs a sandbox or a driver');
      this.sandbox = new SandboxService({
        driver: options.driver,
        logger: options.logger,
        securityFloor: options.securityFloor,
        allowedRoots: options.allowedRoots,
        execTimeoutMs: options.execTimeoutMs,
        maxOutputBytes: options.maxOutputBytes,
        buildTimeoutMs: options.buildTimeoutMs,
      });
    }
  }

  /** Runs one command; never throws: failures become the protocol's error reply. */
  async handle(cmd: WorkerCommand, sink: ReplySink): Promise<Reply> {
    try {
      return await this.dispatch(cmd, sink);
    } catch (err) {
      return this.errorReply(cmd.id, err);
    }
  }

  /** The `error` reply for `err`, echoing request `id`; an unexpected failure (`internal`) is logged. */
  errorReply(id: string | undefined, err: unknown): Reply {
    const wire = errorToWire(err, V, id || undefined);
    if (wire.code === 'internal') this.logger.error({ err, id }, 'command failed unexpectedly');
    return { ...wire, v: V };
  }

  private async dispatch(cmd: WorkerCommand, sink: ReplySink): Promise<Reply> {
    const s = this.sandbox;
    switch (cmd.type) {
      case 'container.create': {
        const c = await s.create({
          tenant: cmd.tenant,
          workspaceId: cmd.workspaceId,
          image: cmd.image,
          name: cmd.name,
          cmd: cmd.cmd,
          env: cmd.env,
          workingDir: cmd.workingDir,
          labels: cmd.labels,
          mounts: cmd.mounts,
          volumes: cmd.volumes,
          tmpfs: cmd.tmpfs,
          limits: cmd.limits,
          network: cmd.network,
          readOnlyRoot: cmd.readOnlyRoot,
          securityProfile: cmd.securityProfile,
        });
        return { v: V, type: 'container.create.result', id: cmd.id, containerId: c.id, name: c.name };
      }
      case 'container.setup': {
        const r = await s.setupRepository(ref(cmd), { repo: cmd.repo, instructions: cmd.instructions, workdir: cmd.workdir });
        return { v: V, type: 'container.setup.result', id: cmd.id, ...r };
      }
      case 'container.start': {
        const info = await s.start(ref(cmd));
        return { v: V, type: 'container.start.result', id: cmd.id, containerId: cmd.containerId, state: info.status };
      }
      case 'container.stop': {
        const info = await s.stop(ref(cmd), { graceMs: (cmd.timeoutS ?? 10) * 1000 });
        return { v: V, type: 'container.stop.result', id: cmd.id, containerId: cmd.containerId, state: info.status };
      }
      case 'container.remove': {
        const removed = await s.remove(ref(cmd), { force: cmd.force });
        return { v: V, type: 'container.remove.result', id: cmd.id, containerId: cmd.containerId, removed };
      }
      case 'container.list': {
        const list = await s.list(cmd.tenant, { workspaceId: cmd.workspaceId });
        return { v: V, type: 'container.list.result', id: cmd.id, containers: list.map(toSummary) };
      }
      case 'container.list-all':
        return { v: V, type: 'container.list-all.result', id: cmd.id, containers: (await s.listAll()).map(toSummary) };
      case 'container.exec':
        return this.exec(cmd);
      case 'container.exec.background': {
        const execId = await s.execBackground(ref(cmd), { cmd: cmd.cmd, env: cmd.env, workingDir: cmd.workingDir, timeoutMs: cmd.timeoutMs });
        return { v: V, type: 'container.exec.background.result', id: cmd.id, execId };
      }
      case 'container.exec.background.kill': {
        const killed = await s.killBackground(ref(cmd), cmd.execId, (cmd.signal ?? 'SIGTERM') as NodeJS.Signals);
        return { v: V, type: 'container.exec.background.kill.result', id: cmd.id, execId: cmd.execId, killed };
      }
      case 'container.exec.background.capture': {
        const c = await s.captureBackground(ref(cmd), cmd.execId, { maxBytes: cmd.maxBytes });
        return {
          v: V,
          type: 'container.exec.background.capture.result',
          id: cmd.id,
          execId: cmd.execId,
          output: c.output.toString('utf8'),
          running: c.running,
          ...(c.running ? {} : { exitCode: c.exitCode ?? null }),
        };
      }
      case 'images.list': {
        const images = await s.listImages();
        return {
          v: V,
          type: 'images.list.result',
          id: cmd.id,
          images: images.map((i) => ({ imageId: i.id, tags: i.tags, sizeBytes: Math.max(0, Math.round(i.sizeBytes)), ...(i.createdAt ? { createdAt: i.createdAt } : {}) })),
        };
      }
      case 'image.check':
        return { v: V, type: 'image.check.result', id: cmd.id, image: cmd.image, present: await s.imageExists(cmd.image) };
      case 'image.delete':
        return { v: V, type: 'image.delete.result', id: cmd.id, image: cmd.image, deleted: await s.deleteImage(cmd.image, { force: cmd.force }) };
      case 'image.build': {
        const r = await s.buildImage({
          tag: cmd.tag,
          context: cmd.context.type === 'dir' ? { type: 'dir', path: cmd.context.path } : { type: 'tar', data: Buffer.from(cmd.context.base64, 'base64') },
          dockerfile: cmd.dockerfile,
          buildArgs: cmd.buildArgs,
          onProgress: (line) => sink.send({ v: V, type: 'image.build.progress', id: cmd.id, line: line.slice(0, MAX_PROGRESS_LINE) }),
        });
        return { v: V, type: 'image.build.result', id: cmd.id, tag: r.tag, imageId: r.imageId };
      }
      case 'terminal.open':
      case 'terminal.input':
      case 'terminal.resize':
      case 'terminal.close':
        if (!this.terminals) throw new CommandError('unsupported', 'terminals are not enabled on this worker');
        return this.terminals.handle(cmd);
      case 'display.open':
      case 'display.close':
        throw new CommandError('unsupported', `${cmd.type} is not supported by this worker yet`);
      default: {
        const unknown: never = cmd;
        throw new CommandError('unknown_type', `${(unknown as { type: string }).type} is not a command`);
      }
    }
  }

  private async exec(cmd: Of<'container.exec'>): Promise<Reply> {
    const r = await this.sandbox.exec(ref(cmd), { cmd: cmd.cmd, env: cmd.env, workingDir: cmd.workingDir, timeoutMs: cmd.timeoutMs });
    return {
      v: V,
      type: 'container.exec.result',
      id: cmd.id,
      exitCode: r.exitCode,
      stdout: r.stdout.toString('utf8'),
      stderr: r.stderr.toString('utf8'),
      timedOut: r.timedOut,
      ...(r.truncated ? { truncated: true } : {}),
    };
  }
}

function ref(cmd: { tenant: string; containerId: string }): ContainerRef {
  return { tenant: cmd.tenant, id: cmd.containerId };
}
