import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDriver, type ContainerDriver } from '@bosun/container-driver';
import type { Logger } from '@bosun/logger';
import { PtyManager } from '@bosun/pty-manager';
import { writePrivateFileSync } from '@bosun/util';
import { fileRecordStore } from './record-store.js';
import { TerminalService } from './terminal-service.js';

/**
 * This agent's stable id among agents sharing one engine: the markers on its terminal
 * processes carry it, so a restarted agent ends only its own orphans. Kept 0600 in
 * `<dataDir>/agent-id`.
 */
export function agentIdOf(dataDir: string): string {
  const path = join(dataDir, 'agent-id');
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{8,64}$/.test(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = `w${randomBytes(9).toString('hex')}`;
  writePrivateFileSync(path, `${id}\n`);
  return id;
}

/** Options of {@link createTerminalStack}. */
export interface TerminalStackOptions {
  /** Where the agent keeps its state (`agent-id`, `terminals.json`, `tmux.sock`, process sandboxes); made 0700. */
  dataDir: string;
  /** The engine address (`DOCKER_HOST`), else the usual sockets are looked for. */
  dockerHost?: string;
  /** Run host terminals in tmux so they outlive the agent (default false). */
  tmux?: boolean;
  /** The Podman CLI for container terminals in tmux (default `podman`). */
  podmanPath?: string;
  /** The agent's environment: `PATH`, `HOME`, `LANG` and `CONTAINERS_CONF` pass to terminals. */
  env: Record<string, string | undefined>;
  logger: Logger;
}

/** What {@link createTerminalStack} built. */
export interface TerminalStack {
  driver: ContainerDriver;
  /** `engine` (a container engine answered) or `process` (the embedded process driver). */
  driverKind: 'engine' | 'process';
  /** One line on why that driver. */
  driverReason: string;
  manager: PtyManager;
  /** Reconciled: the previous run's tmux terminals adopted, its orphaned shells ended. */
  service: TerminalService;
  /** What `reconcile()` found. */
  reconciled: Awaited<ReturnType<TerminalService['reconcile']>>;
  /** Ends terminals that are not in tmux, closes the driver. */
  close(): Promise<void>;
}

/**
 * The container driver, PTY manager and terminal service every app builds the same way:
 * the engine if one answers (else the process driver, which alone allows host shells),
 * owners saved in `terminals.json`, the agent id on process markers, and `reconcile()`
 * run before anything can be asked.
 */
export async function createTerminalStack(o: TerminalStackOptions): Promise<TerminalStack> {
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const { driver, kind, reason } = await createDriver({
    engine: { ...(o.dockerHost ? { dockerHost: o.dockerHost } : {}), env: o.env, logger: o.logger },
    process: { root: join(o.dataDir, 'sessions'), logger: o.logger },
  });
  o.logger.info({ driver: kind, reason }, 'container driver ready');
  const manager = new PtyManager({
    logger: o.logger,
    baseEnv: {
      PATH: o.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: o.env.HOME ?? '/root',
      LANG: o.env.LANG ?? 'C.UTF-8',
      // The Podman CLI in tmux-backed container terminals must see the engine's config.
      ...(o.env.CONTAINERS_CONF ? { CONTAINERS_CONF: o.env.CONTAINERS_CONF } : {}),
    },
    ...(o.tmux ? { tmux: { socketPath: join(o.dataDir, 'tmux.sock') } } : {}),
  });
  const engineIsPodman = kind === 'engine' && /podman/i.test((await driver.capabilities()).engine);
  const service = new TerminalService({
    manager,
    driver,
    logger: o.logger,
    allowHostShell: kind === 'process',
    records: fileRecordStore(join(o.dataDir, 'terminals.json')),
    agentId: agentIdOf(o.dataDir),
    ...(o.tmux && engineIsPodman ? { tmuxPodmanPath: o.podmanPath ?? 'podman' } : {}),
  });
  const reconciled = await service.reconcile();
  o.logger.info({ reconciled }, 'terminals reconciled');
  return {
    driver,
    driverKind: kind,
    driverReason: reason,
    manager,
    service,
    reconciled,
    async close() {
      // Leave tmux terminals running for the next start; others end with the agent.
      await manager.shutdown({ killTmux: false });
      await driver.close();
    },
  };
}
