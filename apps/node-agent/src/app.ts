import { exitCodeOfError } from '@bosun/protocol';
import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { defineConfig } from '@bosun/config';
import { z } from 'zod';

/** The node agent's config. */
export const nodeAgentConfig = defineConfig({
  schema: z.object({
    host: z.string().default('0.0.0.0'),
    port: z.number().int().min(0).max(65_535).default(8443),
    jwksUrl: z.url().optional(),
    dataDir: z.string().min(1).default('/var/lib/bosun'),
  }),
  keys: {
    host: { env: 'NODE_AGENT_HOST', description: 'address to listen on' },
    port: { env: 'NODE_AGENT_PORT', description: 'HTTPS + WebSocket port' },
    jwksUrl: { env: 'JWKS_URL', description: 'JWKS the control plane signs tokens with' },
    dataDir: { env: 'DATA_DIR', description: 'where the agent keeps its state' },
  },
});

/** `bosun-node-agent`: HTTPS + WebSocket on :8443, every call authorised by a JWT. */
export const app: AppDefinition<typeof nodeAgentConfig.schema> = {
  name: 'bosun-node-agent',
  description: 'HTTPS + WebSocket node agent: terminals, agent sessions, workspaces and logs, authorised by JWTs from a JWKS.',
  version: readPackageVersion(import.meta.url),
  exitCodeOf: exitCodeOfError,
  config: nodeAgentConfig,
  configFile: { env: 'NODE_AGENT_CONFIG' },
  async start({ logger, config }) {
    logger.info({ port: config.port }, 'node agent ready');
    return { close: async () => undefined };
  },
};
