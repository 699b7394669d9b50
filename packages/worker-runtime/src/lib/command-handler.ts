import { isDriverError, type ContainerDriver, type ContainerInfo, type CreateSpec, type MountSpec } from '@bosun/container-driver';
import {
  WORKER_PROTOCOL_VERSION,
  type ContainerSummarySchema,
  type WorkerCommand,
  type WorkerCommandType,
  type WorkerToOrchestratorMessage,
} from '@bosun/protocol';
import { isAbsolute, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { applyProfile, resolveProfile, SecurityFloorError, type SecurityProfile } from './security-profile.js';
import { setupContainer } from './container-setup.js';
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
  driver: ContainerDriver;
  terminals?: TerminalCommands;
  /** Weakest security profile accepted (default `open`). */
  securityFloor?: SecurityProfile;
  /** Host directories bind mounts and build contexts may come from (default none: bind mounts refused). */
  allowedRoots?: readonly string[];
  /** Deadline of `container.exec` when the command gives none (default 5 min). */
  execTimeoutMs?: number;
  /** Output cap of exec and capture, per stream (default 1 MiB). */
  maxOutputBytes?: number;
  /** Deadline of `image.build` (default 30 min). */
  buildTimeoutMs?: number;
  logger: Logger;
}

/** A failure with a wire error code (anything not a driver error). */
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
 * Executes the worker protocol's commands through the container driver (and the
 * terminal bridge for `terminal.*`). Every command gets exactly one reply: its
 * `<type>.result`, or an `error` with a stable code (driver codes such as `not_found`
 * pass through; `security_floor`, `forbidden_path`, `unsupported` are the worker's own).
 */
export class CommandHandler {
  private readonly o: Required<Omit<CommandHandlerOptions, 'terminals'>> & Pick<CommandHandlerOptions, 'terminals'>;

  constructor(options: CommandHandlerOptions) {
    this.o = {
      securityFloor: 'open',
      allowedRoots: [],
      execTimeoutMs: 5 * 60_000,
      maxOutputBytes: 1024 * 1024,
      buildTimeoutMs: 30 * 60_000,
      ...options,
    };
  }

  /** Runs one command; never throws: failures become the protocol's error reply. */
  async handle(cmd: WorkerCommand, sink: ReplySink): Promise<Reply> {
    try {
      return await this.dispatch(cmd, sink);
    } catch (err) {
      return this.errorReply(cmd.id, err);
    }
  }

  /** The `error` reply for `err`, echoing request `id`. */
  errorReply(id: string | undefined, err: unknown): Reply {
    let code = 'internal';
    let message = 'internal error';
    if (isDriverError(err)) {
      code = err.code;
      message = err.message;
    } else if (err instanceof SecurityFloorError || err instanceof CommandError) {
      code = err.code;
      message = err.message;
    } else {
      this.o.logger.error({ err, id }, 'command failed unexpectedly');
      if (err instanceof Error) message = err.message;
    }
    return { v: V, type: 'error', ...(id ? { id } : {}), code, message: message.slice(0, 4096) };
  }

  private async dispatch(cmd: WorkerCommand, sink: ReplySink): Promise<Reply> {
    const d = this.o.driver;
    switch (cmd.type) {
      case 'container.create':
        return this.create(cmd);
      case 'container.setup': {
        const r = await setupContainer(d, cmd, { maxOutputBytes: this.o.maxOutputBytes, timeoutMs: this.o.execTimeoutMs });
        return { v: V, type: 'container.setup.result', id: cmd.id, ...r };
      }
      case 'container.start': {
        const ref = { tenant: cmd.tenant, id: cmd.containerId };
        await d.start(ref);
        return { v: V, type: 'container.start.result', id: cmd.id, containerId: cmd.containerId, state: (await d.inspect(ref)).status };
      }
      case 'container.stop': {
        const ref = { tenant: cmd.tenant, id: cmd.containerId };
        await d.stop(ref, { graceMs: (cmd.timeoutS ?? 10) * 1000 });
        return { v: V, type: 'container.stop.result', id: cmd.id, containerId: cmd.containerId, state: (await d.inspect(ref)).status };
      }
      case 'container.remove': {
        const ref = { tenant: cmd.tenant, id: cmd.containerId };
        try {
          await d.remove(ref, { force: cmd.force });
        } catch (err) {
          if (isDriverError(err, 'not_found')) return { v: V, type: 'container.remove.result', id: cmd.id, containerId: cmd.containerId, removed: false };
          throw err;
        }
        return { v: V, type: 'container.remove.result', id: cmd.id, containerId: cmd.containerId, removed: true };
      }
      case 'container.list': {
        const list = await d.list(cmd.tenant, cmd.workspaceId ? { workspace: cmd.workspaceId } : undefined);
        return { v: V, type: 'container.list.result', id: cmd.id, containers: list.map(toSummary) };
      }
      case 'container.list-all':
        return { v: V, type: 'container.list-all.result', id: cmd.id, containers: (await d.listAll()).map(toSummary) };
      case 'container.exec':
        return this.exec(cmd);
      case 'container.exec.background': {
        const job = await d.execBackground(
          { tenant: cmd.tenant, id: cmd.containerId },
          { cmd: cmd.cmd, env: cmd.env, workingDir: cmd.workingDir, maxOutputBytes: this.o.maxOutputBytes },
        );
        if (cmd.timeoutMs) {
          setTimeout(() => void d.kill({ tenant: cmd.tenant, id: cmd.containerId }, job.id, 'SIGKILL').catch(() => undefined), cmd.timeoutMs).unref();
        }
        return { v: V, type: 'container.exec.background.result', id: cmd.id, execId: job.id };
      }
      case 'container.exec.background.kill': {
        const ref = { tenant: cmd.tenant, id: cmd.containerId };
        const before = await d.capture(ref, cmd.execId);
        if (before.running) await d.kill(ref, cmd.execId, (cmd.signal ?? 'SIGTERM') as NodeJS.Signals);
        return { v: V, type: 'container.exec.background.kill.result', id: cmd.id, execId: cmd.execId, killed: before.running };
      }
      case 'container.exec.background.capture': {
        const c = await d.capture({ tenant: cmd.tenant, id: cmd.containerId }, cmd.execId);
        let output = Buffer.concat([c.stdout, c.stderr]);
        if (cmd.maxBytes !== undefined && output.length > cmd.maxBytes) output = output.subarray(output.length - cmd.maxBytes);
        return {
          v: V,
          type: 'container.exec.background.capture.result',
          id: cmd.id,
          execId: cmd.execId,
          output: output.toString('utf8'),
          running: c.running,
          ...(c.running ? {} : { exitCode: c.exitCode ?? null }),
        };
      }
      case 'images.list': {
        const images = await d.listImages();
        return {
          v: V,
          type: 'images.list.result',
          id: cmd.id,
          images: images.map((i) => ({ imageId: i.id, tags: i.tags, sizeBytes: Math.max(0, Math.round(i.sizeBytes)), ...(i.createdAt ? { createdAt: i.createdAt } : {}) })),
        };
      }
      case 'image.check': {
        const present = await d.imageExists(cmd.image);
        return { v: V, type: 'image.check.result', id: cmd.id, image: cmd.image, present };
      }
      case 'image.delete': {
        try {
          await d.removeImage(cmd.image, { force: cmd.force });
        } catch (err) {
          if (isDriverError(err, 'not_found') || isDriverError(err, 'image_not_found')) {
            return { v: V, type: 'image.delete.result', id: cmd.id, image: cmd.image, deleted: false };
          }
          throw err;
        }
        return { v: V, type: 'image.delete.result', id: cmd.id, image: cmd.image, deleted: true };
      }
      case 'image.build':
        return this.build(cmd, sink);
      case 'terminal.open':
      case 'terminal.input':
      case 'terminal.resize':
      case 'terminal.close':
        if (!this.o.terminals) throw new CommandError('unsupported', 'terminals are not enabled on this worker');
        return this.o.terminals.handle(cmd);
      case 'display.open':
      case 'display.close':
        throw new CommandError('unsupported', `${cmd.type} is not supported by this worker yet`);
      default: {
        const unknown: never = cmd;
        throw new CommandError('unknown_type', `${(unknown as { type: string }).type} is not a command`);
      }
    }
  }

  private async create(cmd: Of<'container.create'>): Promise<Reply> {
    const profile = resolveProfile(cmd.securityProfile, this.o.securityFloor);
    const limits = applyProfile(cmd.limits, profile);
    const mounts: MountSpec[] = [
      ...(cmd.mounts ?? []).map((m) => ({ type: 'bind' as const, source: this.allowedPath(m.source, 'bind mount'), target: m.target, readOnly: m.readOnly })),
      ...(cmd.volumes ?? []).map((v) => ({ type: 'volume' as const, source: v.name, target: v.target, readOnly: v.readOnly })),
    ];
    const tmpfs: Record<string, string> = { ...(limits.tmpfs ?? {}) };
    for (const t of cmd.tmpfs ?? []) tmpfs[t.target] = t.sizeBytes ? `rw,size=${t.sizeBytes}` : 'rw';
    const network = limits.network ?? cmd.network;
    if (limits.network === 'none' && cmd.network && cmd.network !== 'none') {
      throw new CommandError('security_floor', `security profile "${profile}" allows no network, but network "${cmd.network}" was asked for`);
    }
    const spec: CreateSpec = {
      tenant: cmd.tenant,
      workspace: cmd.workspaceId,
      image: cmd.image,
      name: cmd.name,
      cmd: cmd.cmd,
      env: cmd.env,
      workingDir: cmd.workingDir,
      labels: { ...(cmd.labels ?? {}), 'bosun-profile': profile },
      mounts: mounts.length ? mounts : undefined,
      limits: { cpus: limits.cpus, memoryBytes: limits.memoryBytes, pids: limits.pids },
      networkMode: network,
      readOnlyRoot: limits.readOnlyRoot || cmd.readOnlyRoot,
      tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    };
    const info = await this.o.driver.create(spec);
    return { v: V, type: 'container.create.result', id: cmd.id, containerId: info.id, name: info.name ?? info.id };
  }

  private async exec(cmd: Of<'container.exec'>): Promise<Reply> {
    const timeoutMs = cmd.timeoutMs ?? this.o.execTimeoutMs;
    try {
      const r = await this.o.driver.exec(
        { tenant: cmd.tenant, id: cmd.containerId },
        { cmd: cmd.cmd, env: cmd.env, workingDir: cmd.workingDir, timeoutMs, maxOutputBytes: this.o.maxOutputBytes },
      );
      return {
        v: V,
        type: 'container.exec.result',
        id: cmd.id,
        exitCode: r.exitCode,
        stdout: r.stdout.toString('utf8'),
        stderr: r.stderr.toString('utf8'),
        timedOut: false,
        ...(r.truncated ? { truncated: true } : {}),
      };
    } catch (err) {
      if (isDriverError(err, 'timeout')) {
        return { v: V, type: 'container.exec.result', id: cmd.id, exitCode: null, stdout: '', stderr: err.message, timedOut: true };
      }
      throw err;
    }
  }

  private async build(cmd: Of<'image.build'>, sink: ReplySink): Promise<Reply> {
    const context = cmd.context.type === 'dir' ? this.allowedPath(cmd.context.path, 'build context') : Buffer.from(cmd.context.base64, 'base64');
    const info = await this.o.driver.buildImage({
      context,
      tag: cmd.tag,
      dockerfile: cmd.dockerfile,
      buildArgs: cmd.buildArgs,
      timeoutMs: this.o.buildTimeoutMs,
      onProgress: (line) => sink.send({ v: V, type: 'image.build.progress', id: cmd.id, line: line.slice(0, 65_536) }),
    });
    return { v: V, type: 'image.build.result', id: cmd.id, tag: cmd.tag, imageId: info.id };
  }

  /** A host path from the wire, resolved and required to sit inside one of the allowed roots. */
  private allowedPath(path: string, what: string): string {
    const abs = resolve(path);
    const inside = this.o.allowedRoots.some((root) => {
      const rel = relative(resolve(root), abs);
      return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    });
    if (!inside) throw new CommandError('forbidden_path', `${what} ${path} is outside the worker's allowed roots`);
    return abs;
  }
}
