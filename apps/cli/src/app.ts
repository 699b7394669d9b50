import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { defineConfig } from '@bosun/config';
import { z } from 'zod';

const noConfig = defineConfig({ schema: z.object({}), keys: {} });

/** `bosun`: the command line. Subcommands are added by the issues that build them. */
export const app: AppDefinition = {
  name: 'bosun',
  description: 'Bosun: run a worker on this machine, log in to a control plane, run jobs and attach to terminals.',
  version: readPackageVersion(import.meta.url),
  commands: [
    {
      name: 'version',
      description: 'print the version and exit',
      config: noConfig,
      async start() {
        process.stdout.write(`${readPackageVersion(import.meta.url)}\n`);
      },
    },
  ],
};
