import { hostname, homedir } from 'node:os';
import { CapabilityProbe } from '@bosun/capability-probe';
import type { ContainerDriver } from '@bosun/container-driver';
import { createTerminalStack } from '@bosun/terminal-service';
import { SandboxService } from '@bosun/sandbox';
import { ByomFiles } from './byom-files.js';
import { CommandHandler } from './command-handler.js';
import type { Logger } from './logger.js';
import type { SecurityProfile } from '@bosun/sandbox';
import { TerminalBridge } from './terminal-bridge.js';
import { WorkerRuntime } from './worker-runtime.js';

/** The worker's settings, as the app's config schema produces them. */
export interface WorkerSettings {
  orchestratorUrl?: string;
  token?: string;
  workerName?: string;
  mode: 'byom' | 'fleet';
  dataDir: string;
  dockerHost?: string;
  podmanPath?: string;
  securityFloor: SecurityProfile;
  heartbeatIntervalMs: number;
  /** Run host terminals in tmux so they outlive the worker (default false). */
  tmux?: boolean;
  /** Host roots that bind mounts and build contexts may come from. */
  allowedRoots?: string[];
  agentVersion: string;
}

/** A running worker. */
export interface RunningWorker {
  runtime: WorkerRuntime;
  driver: ContainerDriver;
  driverKind: 'engine' | 'process';
  close(): Promise<void>;
}

/**
 * Resolves where the orchestrator URL and token come from: explicit settings (flags or
 * env), else the BYOM credentials in `~/.bosun/credentials.json`.
 */
export function resolveCredentials(s: WorkerSettings, home: string): { url: string; token: string } {
  const files = s.mode === 'byom' ? ByomFiles.inHome(home) : undefined;
  const stored = files?.readCredentials();
  const url = s.orchestratorUrl ?? stored?.orchestratorUrl;
  const token = s.token ?? stored?.token;
  // Name only what exists today (no `bosun login` yet): env vars, the config file and, in byom mode, the credentials file.
  const credentials = files ? `, or write {"orchestratorUrl","token"} to ${files.credentialsPath}` : '';
  if (!url) throw new Error(`no orchestrator URL: set ORCHESTRATOR_WS_URL and WORKER_TOKEN, put orchestratorUrl and token in the config file (--config or AGENT_CONFIG)${credentials}`);
  if (!token) throw new Error(`no worker token: set WORKER_TOKEN, put token in the config file (--config or AGENT_CONFIG)${credentials}`);
  return { url, token };
}

/** This agent's stable id (kept in `<dataDir>/agent-id`); one home: `@bosun/terminal-service`. */
export { agentIdOf } from '@bosun/terminal-service';

/**
 * The register payload with the driver this worker actually uses first in
 * `containerEngines`: the process driver is named (`{ name: 'process' }`), so a fallback is
 * visible to the control plane, never inferred from the engines the probe merely found.
 */
export function withDriverInUse<T extends { containerEngines: { name: string; version: string; socket?: string }[] }>(
  payload: T,
  kind: 'engine' | 'process',
  agentVersion: string,
): T {
  if (kind !== 'process') return payload;
  return { ...payload, containerEngines: [{ name: 'process', version: agentVersion }, ...payload.containerEngines.filter((e) => e.name !== 'process')].slice(0, 16) };
}

/** Builds the driver, PTY manager, probe and runtime from settings, and starts dialling. */
export async function startWorker(s: WorkerSettings, env: Record<string, string | undefined>, logger: Logger): Promise<RunningWorker> {
  const { url, token } = resolveCredentials(s, env.HOME ?? homedir());
  const stack = await createTerminalStack({
    dataDir: s.dataDir,
    env,
    logger,
    ...(s.dockerHost ? { dockerHost: s.dockerHost } : {}),
    ...(s.tmux ? { tmux: true } : {}),
    ...(s.podmanPath ? { podmanPath: s.podmanPath } : {}),
  });
  const { driver, driverKind: kind, service } = stack;
  const terminals = new TerminalBridge({ service, logger });
  const sandbox = new SandboxService({ driver, securityFloor: s.securityFloor, allowedRoots: s.allowedRoots ?? [], logger });
  const handler = new CommandHandler({ sandbox, terminals, logger });
  const probe = new CapabilityProbe({
    name: s.workerName ?? hostname(),
    agentVersion: s.agentVersion,
    mode: s.mode,
    env,
    dataDir: s.dataDir,
    containersRunning: async () => (await driver.listAll()).filter((c) => c.status === 'running').length,
    logger,
  });
  probe.start();
  const runtime = new WorkerRuntime({
    url,
    token,
    driver,
    handler,
    terminals,
    payloads: { register: async () => withDriverInUse(await probe.registerPayload(), kind, s.agentVersion), heartbeat: () => probe.heartbeat() },
    heartbeatIntervalMs: s.heartbeatIntervalMs,
    logger,
  });
  runtime.start();
  return {
    runtime,
    driver,
    driverKind: kind,
    async close() {
      await runtime.close();
      await probe.close();
      // Leave tmux terminals running for the next start; others end with the worker.
      await stack.close();
    },
  };
}
