/** A log method compatible with pino's: `log(obj, msg)` or `log(msg)`. */
export type LogFn = (objOrMsg: object | string, msg?: string) => void;

/** The logger libraries take: pino's shape, so apps pass a pino (child) logger. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => undefined;

/** A logger that drops everything (the default). */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
