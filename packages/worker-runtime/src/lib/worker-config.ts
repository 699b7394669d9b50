import { defineConfig } from '@bosun/config';
import { z } from 'zod';

/**
 * The worker's config (`bosun-worker` and `bosun worker`): flags > env > AGENT_CONFIG file
 * > defaults. The env names are contracts operators already use.
 */
export const workerConfig = defineConfig({
  schema: z.object({
    orchestratorUrl: z.url({ protocol: /^wss?$/ }).optional(),
    token: z.string().min(1).optional(),
    workerName: z.string().min(1).max(128).optional(),
    mode: z.enum(['byom', 'fleet']).default('byom'),
    dataDir: z.string().min(1).default('/var/lib/bosun'),
    dockerHost: z.string().optional(),
    podmanPath: z.string().optional(),
    securityFloor: z.enum(['open', 'standard', 'strict', 'offline']).default('open'),
    heartbeatIntervalMs: z.number().int().min(1000).max(600_000).default(10_000),
    tmux: z.boolean().default(false),
    allowedRoots: z.array(z.string().min(1)).default([]),
  }),
  keys: {
    orchestratorUrl: { env: 'ORCHESTRATOR_WS_URL', flag: 'orchestrator-url', description: 'orchestrator WebSocket URL (ws:// or wss://)' },
    token: { env: 'WORKER_TOKEN', flag: false, secret: true, description: 'worker token (prefer the file or ~/.bosun/credentials.json)' },
    workerName: { env: 'WORKER_NAME', flag: 'name', description: 'name this worker registers with (default: hostname)' },
    mode: { env: 'AGENT_MODE', description: 'byom (credentials in ~/.bosun) or fleet (config in AGENT_CONFIG)' },
    dataDir: { env: 'DATA_DIR', description: 'where the worker keeps its state' },
    dockerHost: { env: 'DOCKER_HOST', description: 'container engine socket (unix:///…)' },
    podmanPath: { env: 'PODMAN_PATH', description: 'path of the podman binary' },
    securityFloor: { env: 'SECURITY_FLOOR', description: 'weakest security profile accepted: open|standard|strict|offline' },
    heartbeatIntervalMs: { env: 'HEARTBEAT_INTERVAL_MS', description: 'heartbeat period in ms' },
    tmux: { env: 'WORKER_TMUX', description: 'run host terminals in tmux so they survive a worker restart' },
    allowedRoots: { env: 'ALLOWED_ROOTS', description: 'comma-separated host dirs bind mounts and build contexts may use' },
  },
});

/**
 * The worker's `--help` notes and examples, for the app named `command` (`bosun-worker`
 * or `bosun worker`): one text, whichever binary runs the worker.
 */
export function workerHelp(command: string): { helpNotes: string; examples: { command: string; description: string }[] } {
  return {
    helpNotes:
      'The worker needs an orchestrator URL and a worker token: set ORCHESTRATOR_WS_URL and\n' +
      'WORKER_TOKEN, or put orchestratorUrl and token in the config file; in byom mode it also\n' +
      'reads ~/.bosun/credentials.json.',
    examples: [
      { command: `ORCHESTRATOR_WS_URL=ws://127.0.0.1:8080/ws/worker WORKER_TOKEN=bwt_… ${command}`, description: 'dial the hub of the quick start' },
      { command: `${command} --config ./agent.yaml --log-level debug`, description: 'settings from a file, with debug logs' },
      { command: `WORKER_TMUX=true ${command} --name gpu-box --security-floor standard`, description: 'terminals that outlive a restart, refusing the open profile' },
    ],
  };
}
