/**
 * The logger every Bosun library takes in its options: the part of pino's API the
 * libraries use, so an app passes a pino logger (or a child) as it is. Libraries never
 * write to the console.
 */

/** A log method with pino's call shapes: `log(obj, msg)` or `log(msg)`. */
export type LogFn = (objOrMsg: object | string, msg?: string) => void;

/** A pino-compatible logger. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => undefined;

/** A logger that drops everything: the default when none is given. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
