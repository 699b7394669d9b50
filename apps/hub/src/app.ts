import { exitCodeOfError } from '@bosun/protocol';
import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { defineConfig } from '@bosun/config';
import { z } from 'zod';
import { createHubServer } from './lib/hub-server.js';

/** The hub's config. */
export const hubConfig = defineConfig({
  schema: z.object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8080),
    dataDir: z.string().min(1).default('./.bosun-hub'),
    publicUrl: z.url().optional(),
  }),
  keys: {
    host: { env: 'HUB_HOST', description: 'address to listen on' },
    port: { env: 'HUB_PORT', description: 'HTTP + WebSocket port' },
    dataDir: { env: 'HUB_DATA_DIR', description: 'where workers, tokens and signing keys are kept' },
    publicUrl: { env: 'HUB_PUBLIC_URL', description: 'the hub URL node agents use as CONTROL_PLANE_URL: the issuer of the tokens it mints (default http://127.0.0.1:<port>)' },
  },
});

/** `bosun-hub`: the reference control plane. */
export const app: AppDefinition<typeof hubConfig.schema> = {
  name: 'bosun-hub',
  description: 'The reference control plane: orchestrator WebSocket for workers, HTTP API and a browser terminal.',
  version: readPackageVersion(import.meta.url),
  exitCodeOf: exitCodeOfError,
  config: hubConfig,
  configFile: { env: 'HUB_CONFIG' },
  async start({ logger, config }) {
    const publicUrl = config.publicUrl?.replace(/\/+$/, '');
    const hub = await createHubServer({ dataDir: config.dataDir, logger, ...(publicUrl ? { publicUrl: () => publicUrl } : {}) });
    const address = await hub.app.listen({ host: config.host, port: config.port });
    logger.info({ url: address, workers: hub.tokens.list().length }, 'hub ready');
    return { close: () => hub.app.close() };
  },
};
