/**
 * `GET /api/terminals` (admin bearer token): the terminals the hub knows, so a page that
 * reloads can reattach its tabs at their offsets and show which ones ended.
 *
 * Two sources, merged by worker and terminal id:
 * - `viewer`: terminals this hub's viewers opened or resumed (tenant known; `offset` is
 *   the end of the output the worker reported; `state` turns `ended` on `terminal.exit`
 *   or when the worker answers an attach with `not_found`),
 * - `register`: terminals a worker reported alive in its last `worker.register`
 *   (`terminals`, e.g. tmux sessions re-adopted after a restart; container known, tenant not).
 *
 * The response is checked against {@link TerminalsListSchema} before it is sent.
 */
import type { Logger } from '@bosun/logger';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { errorHandler } from '../http-errors.js';
import type { TerminalRelay } from '../terminal-relay.js';
import type { WorkerRegistry } from '../worker-registry.js';
import { zodValidatorCompiler, type ZodTypeProvider } from '../zod-type-provider.js';
import { adminAuth } from './auth.js';

/** Options of {@link terminalsApi}. */
export interface TerminalsApiOptions {
  adminToken: string;
  registry: WorkerRegistry;
  relay: TerminalRelay;
  logger: Logger;
}

const Id = z.string().min(1).max(128);

/** One entry of `GET /api/terminals`. */
export const TerminalEntrySchema = z.strictObject({
  workerId: Id,
  /** Whether the worker is connected now (an offline worker's terminals may still be alive). */
  workerOnline: z.boolean(),
  /** Owner, when a viewer of this hub opened or resumed it (absent for terminals only a worker reported). */
  tenant: Id.optional(),
  /** Container the terminal runs in, when the worker reported it. */
  containerId: Id.optional(),
  terminalId: Id,
  /** End of the output the worker reported, bytes (0 until it reports any). */
  offset: z.int().min(0),
  state: z.enum(['alive', 'ended']),
  exitCode: z.int().nullable().optional(),
  signal: z.string().max(32).optional(),
  /** Why it ended, in words. */
  reason: z.string().max(256).optional(),
  /** Viewers watching it through this hub now. */
  viewers: z.int().min(0),
  /** `viewer`: opened or resumed through this hub; `register`: reported by the worker at registration. */
  source: z.enum(['viewer', 'register']),
});
/** A {@link TerminalEntrySchema} value. */
export type TerminalEntry = z.infer<typeof TerminalEntrySchema>;

/** The body of `GET /api/terminals`. */
export const TerminalsListSchema = z.strictObject({ terminals: z.array(TerminalEntrySchema) });
/** A {@link TerminalsListSchema} value. */
export type TerminalsList = z.infer<typeof TerminalsListSchema>;

/** Lists what the relay and the workers' registrations know, merged by worker and terminal. */
export function listTerminals(registry: WorkerRegistry, relay: TerminalRelay): TerminalsList {
  const reported = new Map<string, { containerId?: string; offset: number }>();
  for (const w of registry.list()) {
    for (const t of w.info?.terminals ?? []) reported.set(`${w.workerId}\u0000${t.terminalId}`, t);
  }
  const seen = new Set<string>();
  const terminals: TerminalEntry[] = [];
  for (const t of relay.terminals()) {
    const key = `${t.workerId}\u0000${t.terminalId}`;
    seen.add(key);
    const r = reported.get(key);
    terminals.push({
      workerId: t.workerId,
      workerOnline: registry.isOnline(t.workerId),
      tenant: t.tenant,
      ...(r?.containerId ? { containerId: r.containerId } : {}),
      terminalId: t.terminalId,
      offset: Math.max(t.offset, r?.offset ?? 0),
      state: t.state,
      ...(t.exitCode === undefined ? {} : { exitCode: t.exitCode }),
      ...(t.signal ? { signal: t.signal } : {}),
      ...(t.reason ? { reason: t.reason } : {}),
      viewers: t.viewers,
      source: 'viewer',
    });
  }
  for (const [key, r] of reported) {
    if (seen.has(key)) continue;
    const [workerId = '', terminalId = ''] = key.split('\u0000');
    terminals.push({
      workerId,
      workerOnline: registry.isOnline(workerId),
      ...(r.containerId ? { containerId: r.containerId } : {}),
      terminalId,
      offset: r.offset,
      state: 'alive',
      viewers: 0,
      source: 'register',
    });
  }
  return TerminalsListSchema.parse({ terminals });
}

/** The `GET /api/terminals` route. */
export const terminalsApi: FastifyPluginAsync<TerminalsApiOptions> = async (root, o) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setErrorHandler(errorHandler(o.logger));
  await app.register(adminAuth, { adminToken: o.adminToken, logger: o.logger });
  app.get('/api/terminals', async () => listTerminals(o.registry, o.relay));
};
