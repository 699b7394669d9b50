import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { exitCodeOfError } from '@bosun/protocol';
import { startWorker, workerConfig } from '@bosun/worker-runtime';

export { workerConfig };

/** `bosun-worker`: dials out to an orchestrator and runs its commands. Every error it prints starts `bosun-worker: `. */
export const app: AppDefinition<typeof workerConfig.schema> = {
  name: 'bosun-worker',
  description: 'Dials out to an orchestrator over WebSocket and runs its container, exec and terminal commands.',
  version: readPackageVersion(import.meta.url),
  config: workerConfig,
  configFile: { env: 'AGENT_CONFIG', default: '/etc/bosun/agent.yaml' },
  exitCodeOf: exitCodeOfError,
  helpNotes:
    'The worker needs an orchestrator URL and a worker token: set ORCHESTRATOR_WS_URL and\n' +
    'WORKER_TOKEN, or put orchestratorUrl and token in the config file; in byom mode it also\n' +
    'reads ~/.bosun/credentials.json.',
  examples: [
    { command: 'ORCHESTRATOR_WS_URL=ws://127.0.0.1:8080/ws/worker WORKER_TOKEN=bwt_… bosun-worker', description: 'dial the hub of the quick start' },
    { command: 'bosun-worker --config ./agent.yaml --log-level debug', description: 'settings from a file, with debug logs' },
    { command: 'WORKER_TMUX=true bosun-worker --name gpu-box --security-floor standard', description: 'terminals that outlive a restart, refusing the open profile' },
  ],
  async start({ logger, config, env }) {
    const worker = await startWorker({ ...config, agentVersion: app.version }, env, logger);
    logger.info({ mode: config.mode, driver: worker.driverKind }, 'worker ready');
    return worker;
  },
};
