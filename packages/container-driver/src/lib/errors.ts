/**
 * One error class for every driver, with a stable machine code per failure.
 *
 * Callers branch on `code`, never on `message`; the engine's own error (when there is
 * one) travels as `cause` so logs keep the detail without callers parsing it.
 */

/** Every code a driver may throw. Stable: callers and wire replies depend on them. */
export const DriverErrorCode = {
  /** No such object for this tenant (also what another tenant's object looks like). */
  notFound: 'not_found',
  /** No engine answers on the socket, or it answered with a server error. */
  engineUnavailable: 'engine_unavailable',
  /** The image is not present locally (and was not pulled). */
  imageNotFound: 'image_not_found',
  /** A resource limit is negative, not a number, or above what the host has. */
  limitInvalid: 'limit_invalid',
  /** A deadline expired (exec, build, stop, ping, wait). */
  timeout: 'timeout',
  /** The object is in a state that forbids the call (running, stopped, name taken). */
  conflict: 'conflict',
  /** A caller value is malformed: a name with illegal characters, a path leaving its session. */
  invalidArgument: 'invalid_argument',
  /** The driver cannot honour the request (see `capabilities()`); it never drops a restriction silently. */
  unsupported: 'unsupported',
} as const;

/** Union of the codes in {@link DriverErrorCode}. */
export type DriverErrorCode = (typeof DriverErrorCode)[keyof typeof DriverErrorCode];

/** Plain form of a {@link DriverError}, e.g. for a wire error reply. */
export interface DriverErrorJson {
  code: DriverErrorCode;
  message: string;
}

/** The only error type drivers throw on purpose. Build it with the per-code factories. */
export class DriverError extends Error {
  override readonly name = 'DriverError';

  /**
   * @param code - stable machine code
   * @param message - one line for people
   * @param cause - the engine's or the OS's error, when there is one
   */
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }

  /** No such object for this tenant. */
  static notFound(what: string, cause?: unknown): DriverError {
    return new DriverError('not_found', `${what} not found`, cause);
  }
  /** The engine did not answer or failed. */
  static engineUnavailable(message: string, cause?: unknown): DriverError {
    return new DriverError('engine_unavailable', message, cause);
  }
  /** The image is not present locally. */
  static imageNotFound(image: string, cause?: unknown): DriverError {
    return new DriverError('image_not_found', `image ${image} not found`, cause);
  }
  /** A resource limit is out of range. */
  static limitInvalid(message: string, cause?: unknown): DriverError {
    return new DriverError('limit_invalid', message, cause);
  }
  /** A deadline expired. */
  static timeout(what: string, ms: number, cause?: unknown): DriverError {
    return new DriverError('timeout', `${what} timed out after ${ms} ms`, cause);
  }
  /** The object's state forbids the call. */
  static conflict(message: string, cause?: unknown): DriverError {
    return new DriverError('conflict', message, cause);
  }
  /** A caller value is malformed. */
  static invalidArgument(message: string, cause?: unknown): DriverError {
    return new DriverError('invalid_argument', message, cause);
  }
  /** The driver cannot honour the request. */
  static unsupported(message: string, cause?: unknown): DriverError {
    return new DriverError('unsupported', message, cause);
  }

  /** Plain object for logs and wire replies (no stack, no cause). */
  toJSON(): DriverErrorJson {
    return { code: this.code, message: this.message };
  }
}

/** True when `err` is a {@link DriverError}, optionally with the given code. */
export function isDriverError(err: unknown, code?: DriverErrorCode): err is DriverError {
  return err instanceof DriverError && (code === undefined || err.code === code);
}
