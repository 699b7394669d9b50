import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { defineConfig } from '@bosun/config';
import { z } from 'zod';

/** The worker's config: flags > env > AGENT_CONFIG file > defaults. */
export const workerConfig = defineConfig({
  schema: z.object({
    orchestratorUrl: z.url({ protocol: /^wss?$/ }).optional(),
    workerName: z.string().min(1).max(128).optional(),
    mode: z.enum(['byom', 'fleet']).default('byom'),
    dataDir: z.string().min(1).default('/var/lib/bosun'),
    dockerHost: z.string().optional(),
    podmanPath: z.string().optional(),
    securityFloor: z.enum(['open', 'standard', 'strict', 'offline']).default('open'),
    heartbeatIntervalMs: z.number().int().min(1000).max(600_000).default(10_000),
  }),
  keys: {
    orchestratorUrl: { env: 'ORCHESTRATOR_WS_URL', flag: 'orchestrator-url', description: 'orchestrator WebSocket URL (ws:// or wss://)' },
    workerName: { env: 'WORKER_NAME', flag: 'name', description: 'name this worker registers with (default: hostname)' },
    mode: { env: 'AGENT_MODE', description: 'byom (credentials in ~/.bosun) or fleet (config in AGENT_CONFIG)' },
    dataDir: { env: 'DATA_DIR', description: 'where the worker keeps its state' },
    dockerHost: { env: 'DOCKER_HOST', description: 'container engine socket (unix:///…)' },
    podmanPath: { env: 'PODMAN_PATH', description: 'path of the podman binary' },
    securityFloor: { env: 'SECURITY_FLOOR', description: 'weakest security profile accepted: open|standard|strict|offline' },
    heartbeatIntervalMs: { env: 'HEARTBEAT_INTERVAL_MS', description: 'heartbeat period in ms' },
  },
});

/** `bosun-worker`: dials out to an orchestrator and runs its commands. */
export const app: AppDefinition<typeof workerConfig.schema> = {
  name: 'bosun-worker',
  description: 'Dials out to an orchestrator over WebSocket and runs its container, exec and terminal commands.',
  version: readPackageVersion(import.meta.url),
  config: workerConfig,
  configFile: { env: 'AGENT_CONFIG', default: '/etc/bosun/agent.yaml' },
  async start({ logger, config }) {
    logger.info({ mode: config.mode, orchestrator: config.orchestratorUrl ?? null }, 'worker ready');
    return { close: async () => undefined };
  },
};
