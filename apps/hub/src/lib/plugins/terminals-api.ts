/**
 * `/api/terminals`: which terminals the hub's viewers have open, so a page that reloads
 * can reattach its tabs at their offsets. (Filled in by the page work of issue 9.)
 */
import type { Logger } from '@bosun/logger';
import type { FastifyPluginAsync } from 'fastify';
import type { TerminalRelay } from '../terminal-relay.js';
import type { WorkerRegistry } from '../worker-registry.js';

/** Options of {@link terminalsApi}. */
export interface TerminalsApiOptions {
  adminToken: string;
  registry: WorkerRegistry;
  relay: TerminalRelay;
  logger: Logger;
}

/** The terminal listing routes (none yet). */
export const terminalsApi: FastifyPluginAsync<TerminalsApiOptions> = async () => undefined;
