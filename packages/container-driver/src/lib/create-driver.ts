/**
 * Picks a driver: the engine when one answers its ping in time, else the process driver.
 */
import { DriverError, isDriverError } from './errors.js';
import { EngineDriver, type EngineDriverOptions } from './engine/engine-driver.js';
import { ProcessDriver, type ProcessDriverOptions } from './process/process-driver.js';
import type { ContainerDriver, DriverKind } from './types.js';

/** Options of {@link createDriver}. */
export interface CreateDriverOptions {
  /** `auto` (default): engine when it answers, else process. `engine` / `process` force one. */
  prefer?: 'auto' | DriverKind;
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
 * Returns the engine driver when a socket answers a ping within its deadline, otherwise
 * the process driver (the embedded default). Throws `engine_unavailable` when
 * `prefer: 'engine'` and no engine answers, `invalid_argument` when the process driver is
 * needed and `process.root` is missing.
 */
export async function createDriver(options: CreateDriverOptions = {}): Promise<CreatedDriver> {
  const prefer = options.prefer ?? 'auto';
  let why = 'process driver requested';
  if (prefer !== 'process') {
    try {
      const driver = await EngineDriver.connect(options.engine);
      return { driver, kind: 'engine', reason: `${driver.engine.name} ${driver.engine.version} answered` };
    } catch (err) {
      if (prefer === 'engine' || !isDriverError(err)) throw err;
      why = `no engine: ${err.message}`;
    }
  }
  if (!options.process?.root) throw DriverError.invalidArgument('process driver needs options.process.root');
  return { driver: new ProcessDriver(options.process), kind: 'process', reason: why };
}
