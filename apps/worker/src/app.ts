import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { startWorker, workerConfig } from '@bosun/worker-runtime';

export { workerConfig };

/** `bosun-worker`: dials out to an orchestrator and runs its commands. */
export const app: AppDefinition<typeof workerConfig.schema> = {
  name: 'bosun-worker',
  description: 'Dials out to an orchestrator over WebSocket and runs its container, exec and terminal commands.',
  version: readPackageVersion(import.meta.url),
  config: workerConfig,
  configFile: { env: 'AGENT_CONFIG', default: '/etc/bosun/agent.yaml' },
  async start({ logger, config, env }) {
    const worker = await startWorker({ ...config, agentVersion: app.version }, env, logger);
    logger.info({ mode: config.mode, driver: worker.driverKind }, 'worker ready');
    return worker;
  },
};
