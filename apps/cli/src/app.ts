import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { CapabilityProbe } from '@bosun/capability-probe';
import { defineConfig } from '@bosun/config';
import { startWorker, workerConfig } from '@bosun/worker-runtime';
import { hostname } from 'node:os';
import { z } from 'zod';

const version = readPackageVersion(import.meta.url);
const noConfig = defineConfig({ schema: z.object({}), keys: {} });

/** `bosun`: the command line. Further subcommands come with the issues that build them. */
export const app: AppDefinition = {
  name: 'bosun',
  description: 'Bosun: run a worker on this machine, log in to a control plane, run jobs and attach to terminals.',
  version,
  commands: [
    {
      name: 'worker',
      description: 'run the worker: dial out to the orchestrator and run its commands (same as bosun-worker)',
      config: workerConfig,
      configFile: { env: 'AGENT_CONFIG', default: '/etc/bosun/agent.yaml' },
      async start({ logger, config, env }) {
        const settings = config as z.infer<typeof workerConfig.schema>;
        const worker = await startWorker({ ...settings, agentVersion: version }, env, logger);
        logger.info({ mode: settings.mode, driver: worker.driverKind }, 'worker ready');
        return worker;
      },
    },
    {
      name: 'probe',
      description: 'print what this machine offers (system, runtimes, tools, GPUs, container engines) as JSON',
      config: noConfig,
      async start({ env }) {
        const probe = new CapabilityProbe({ name: hostname(), agentVersion: version, mode: 'byom', env, containersRunning: async () => 0 });
        process.stdout.write(`${JSON.stringify(await probe.registerPayload(), null, 2)}\n`);
        await probe.close();
      },
    },
    {
      name: 'version',
      description: 'print the version and exit',
      config: noConfig,
      async start() {
        process.stdout.write(`${version}\n`);
      },
    },
  ],
};
