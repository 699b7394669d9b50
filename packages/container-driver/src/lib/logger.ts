/** The part of a pino logger drivers use. Default: a logger that drops everything. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** A logger that drops everything (the default). */
export const silentLogger: Logger = { debug: () => undefined, warn: () => undefined };
