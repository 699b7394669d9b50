/**
 * Picks a driver: the engine when one is there (waiting for a loaded one), else the process driver.
 */
import { existsSync } from 'node:fs';
import { DriverError, isDriverError } from './errors.js';
import { findEngineSockets } from './socket.js';
import { EngineDriver, type EngineDriverOptions } from './engine/engine-driver.js';
import { ProcessDriver, type ProcessDriverOptions } from './process/process-driver.js';
import type { ContainerDriver, DriverKind } from './types.js';

/** Options of {@link createDriver}. */
export interface CreateDriverOptions {
  /**
   * `auto` (default): the engine when one is configured or its socket exists, else the
   * process driver. `engine` / `process` force one.
   */
  prefer?: 'auto' | DriverKind;
  /**
   * Pings of an engine whose socket exists (or a configured tcp engine), each with twice the previous deadline, before giving up (default 3: 2, 4
   * and 8 s with the default ping deadline). A loaded engine is waited for, never
   * silently replaced by weaker isolation.
   */
  engineAttempts?: number;
  /** Engine options (socket discovery takes `env` / `dockerHost`; ping deadline default 2 000 ms). */
  engine?: EngineDriverOptions;
  /** Process driver options; `root` is required when the process driver may be chosen. */
  process?: ProcessDriverOptions;
}

/** What {@link createDriver} chose and why. */
export interface CreatedDriver {
  driver: ContainerDriver;
  kind: DriverKind;
  /** One line: which engine answered, or why the process driver was chosen. */
  reason: string;
}

/**
 * Returns the engine driver when an engine answers its ping, otherwise the process driver
 * (the embedded default) — but only when no engine is there at all: an engine whose
 * socket exists (or a configured tcp engine) is pinged `engineAttempts` times with growing deadlines and, if it never answers, is an error
 * (`engine_unavailable` or `timeout`), because falling back would quietly give a tenant
 * weaker isolation than the operator set up. Throws `invalid_argument` when the process
 * driver is needed and `process.root` is missing.
 */
export async function createDriver(options: CreateDriverOptions = {}): Promise<CreatedDriver> {
  const prefer = options.prefer ?? 'auto';
  let why = 'process driver requested';
  if (prefer !== 'process') {
    const engine = options.engine ?? {};
    const exists = engine.exists ?? existsSync;
    // A socket file that exists (or a tcp engine) is an engine that is there, loaded or not.
    const present = findEngineSockets({ env: engine.env, dockerHost: engine.dockerHost, exists }).some((e) => (e.socketPath ? exists(e.socketPath) : true));
    const attempts = present ? Math.max(1, options.engineAttempts ?? 3) : 1;
    let pingTimeoutMs = engine.pingTimeoutMs ?? 2000;
    for (let attempt = 1; ; attempt++) {
      try {
        const driver = await EngineDriver.connect({ ...engine, pingTimeoutMs });
        return { driver, kind: 'engine', reason: `${driver.engine.name} ${driver.engine.version} answered` };
      } catch (err) {
        if (!isDriverError(err)) throw err;
        if (attempt < attempts) {
          engine.logger?.warn({ attempt, err: err.message }, 'engine did not answer its ping; trying again with a longer deadline');
          pingTimeoutMs *= 2;
          continue;
        }
        if (prefer === 'engine' || present) throw err;
        why = `no engine: ${err.message}`;
        break;
      }
    }
  }
  if (!options.process?.root) throw DriverError.invalidArgument('process driver needs options.process.root');
  return { driver: new ProcessDriver(options.process), kind: 'process', reason: why };
}
