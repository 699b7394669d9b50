/** Log method compatible with pino's (`log(obj, msg)` or `log(msg)`). */
export type LogFn = (objOrMsg: object | string, msg?: string) => void;

/** The part of a pino logger this package uses; a pino `Logger` fits. */
export interface Logger {
  /** Debug level. */
  debug: LogFn;
  /** Info level. */
  info: LogFn;
  /** Warn level. */
  warn: LogFn;
  /** Error level. */
  error: LogFn;
}

const noop: LogFn = () => undefined;

/** A logger that drops everything (the default when none is given). */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
