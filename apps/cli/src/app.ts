import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { CapabilityProbe } from '@bosun/capability-probe';
import { defineConfig } from '@bosun/config';
import { exitCodeOfError } from '@bosun/protocol';
import { startWorker, workerConfig, workerHelp } from '@bosun/worker-runtime';
import { hostname } from 'node:os';
import { z } from 'zod';
import { shouldColor } from './lib/color.js';
import { renderProbeTable } from './lib/probe-table.js';

const version = readPackageVersion(import.meta.url);
const noConfig = defineConfig({ schema: z.object({}), keys: {} });

const probeConfig = defineConfig({
  schema: z.object({ json: z.boolean().default(false) }),
  keys: { json: { description: "print the worker's register payload as JSON (for scripts) instead of the table" } },
});

/**
 * `bosun`: the command line. Only commands that exist are listed; login, jobs and
 * attach come with the issues that build them.
 */
export const app: AppDefinition = {
  name: 'bosun',
  description: 'Bosun on this machine: run a worker that a control plane drives, and see what this machine offers it.',
  version,
  exitCodeOf: exitCodeOfError,
  examples: [
    { command: 'bosun probe', description: 'what this machine offers: system, runtimes, tools, GPUs, container engines' },
    { command: 'ORCHESTRATOR_WS_URL=ws://127.0.0.1:8080/ws/worker WORKER_TOKEN=bwt_… bosun worker', description: 'run a worker for the hub on this machine' },
    { command: 'bosun worker --help', description: "a command's flags, their defaults and env vars" },
  ],
  commands: [
    {
      name: 'worker',
      description: 'run the worker: dial out to the orchestrator and run its commands (same as bosun-worker)',
      config: workerConfig,
      configFile: { env: 'AGENT_CONFIG', default: '/etc/bosun/agent.yaml' },
      ...workerHelp('bosun worker'),
      async start({ logger, config, env }) {
        const settings = config as z.infer<typeof workerConfig.schema>;
        const worker = await startWorker({ ...settings, agentVersion: version }, env, logger);
        logger.info({ mode: settings.mode, driver: worker.driverKind }, 'worker ready');
        return worker;
      },
    },
    {
      name: 'probe',
      description: 'show what this machine offers: system, runtimes, tools, GPUs, container engines',
      config: probeConfig,
      helpNotes:
        'Output: a table, whether or not stdout is a terminal (as docker prints); scripts ask\n' +
        'for --json (as with gh), which prints the register payload the hub receives. Colours\n' +
        'only when stdout is a terminal and NO_COLOR is unset.',
      examples: [
        { command: 'bosun probe', description: 'a table of everything found' },
        { command: "bosun probe --json | jq '.capabilities.tools[].name'", description: 'the tools found, for a script' },
      ],
      async start({ env, config, logger, stdout, stdoutIsTTY }) {
        const { json } = config as z.infer<typeof probeConfig.schema>;
        const probe = new CapabilityProbe({ name: hostname(), agentVersion: version, mode: 'byom', env, logger, containersRunning: async () => 0 });
        try {
          const snapshot = await probe.capabilities();
          const payload = await probe.registerPayload();
          stdout(json ? `${JSON.stringify(payload, null, 2)}\n` : renderProbeTable({ payload, system: snapshot.system }, { color: shouldColor(stdoutIsTTY, env) }));
        } finally {
          await probe.close();
        }
      },
    },
    {
      name: 'version',
      description: 'print the version and exit',
      config: noConfig,
      examples: [{ command: 'bosun version', description: 'the version of Bosun, the same for every app' }],
      async start({ stdout }) {
        stdout(`${version}\n`);
      },
    },
  ],
};
