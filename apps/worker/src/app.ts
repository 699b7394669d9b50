import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { exitCodeOfError } from '@bosun/protocol';
import { startWorker, workerConfig, workerHelp } from '@bosun/worker-runtime';

export { workerConfig };

/** `bosun-worker`: dials out to an orchestrator and runs its commands. Every error it prints starts `bosun-worker: `. */
export const app: AppDefinition<typeof workerConfig.schema> = {
  name: 'bosun-worker',
  description: 'Dials out to an orchestrator over WebSocket and runs its container, exec and terminal commands.',
  version: readPackageVersion(import.meta.url),
  config: workerConfig,
  configFile: { env: 'AGENT_CONFIG', default: '/etc/bosun/agent.yaml' },
  exitCodeOf: exitCodeOfError,
  ...workerHelp('bosun-worker'),
  async start({ logger, config, env }) {
    const worker = await startWorker({ ...config, agentVersion: app.version }, env, logger);
    logger.info({ mode: config.mode, driver: worker.driverKind }, 'worker ready');
    return worker;
  },
};
