/**
 * The one registry of error codes. Every code any Bosun library or app puts on a wire,
 * in an HTTP body or in a CLI's exit status is listed here with its meaning, the HTTP
 * status an HTTP adapter answers with and the exit code a CLI ends with. Adapters look
 * codes up here; nothing maps codes by hand.
 */

/** What the registry says of one code. */
export interface ErrorCodeInfo {
  /** One line for people: when this code is used. */
  readonly meaning: string;
  /** HTTP status an HTTP adapter answers with. */
  readonly status: number;
  /** Process exit code a CLI ends with (1 generic, 2 usage, 3 auth, 4 not found, 5 conflict, 6 unavailable, 7 timeout, 8 refused by policy). */
  readonly exit: number;
}

const code = (meaning: string, status: number, exit: number): ErrorCodeInfo => Object.freeze({ meaning, status, exit });

/**
 * Every code, with its meaning, HTTP status and CLI exit code. Stable: peers switch on
 * these names, so a code never changes meaning; new codes are added, none renamed.
 */
export const ERROR_CODES = Object.freeze({
  // Parsing (the checks of `parseMessage`, in order).
  too_large: code('a message or frame is bigger than the limit of the side that received it', 413, 2),
  too_deep: code('a message nests objects or arrays deeper than the limit', 400, 2),
  invalid_json: code('a message is not UTF-8 or not JSON', 400, 2),
  unknown_type: code('`type` names no message of this protocol and direction', 400, 2),
  unsupported_version: code("`v` is not this protocol's version", 400, 2),
  invalid_field: code('a message or request does not match its schema; `details.path` names the field', 400, 2),
  invalid_frame: code('a binary terminal frame is malformed', 400, 2),
  invalid_argument: code('a value is well-formed but not acceptable (a name with illegal characters, a bad option)', 400, 2),
  limit_invalid: code('a resource limit is negative, not a number, or above what the host has', 400, 2),
  unsupported_media_type: code('an HTTP body came without a content-type the endpoint reads (send application/json)', 415, 2),
  // Who may do what.
  unauthorized: code('no credentials, or credentials that do not verify', 401, 3),
  forbidden: code('authenticated, but this caller may not do this', 403, 3),
  insecure_file: code('a file holding secrets is a symbolic link, not owned by this user, or open to other users (fix: chmod 600 it)', 500, 8),
  forbidden_path: code('a host path resolves (through symlinks) outside the allowed roots', 403, 8),
  security_floor: code('the request asks for less isolation than the security floor allows', 403, 8),
  policy: code('a command policy refused the request', 403, 8),
  // What was addressed.
  not_found: code('no such object for this owner (another owner\u2019s object looks the same)', 404, 4),
  image_not_found: code('the image is not present on the engine', 404, 4),
  conflict: code('the object is in a state that forbids the call (running, stopped, name taken)', 409, 5),
  not_registered: code('a message other than the handshake arrived before the handshake', 409, 5),
  // Capacity and liveness.
  busy: code('too many requests in flight on this connection; retry later', 429, 6),
  slow_consumer: code('a reader fell too far behind and was paused or dropped', 429, 6),
  viewer_dropped: code('a terminal viewer was dropped because it fell behind', 429, 6),
  unsupported: code('this side cannot do that (a driver capability, a feature not built)', 501, 1),
  offline: code('the worker or agent addressed is not connected', 503, 6),
  disconnected: code('the connection dropped before the reply came', 503, 6),
  engine_unavailable: code('no container engine answers, or it answered with a server error', 503, 6),
  log_unavailable: code('the log source cannot be read (journalctl failed or is missing); the agent\u2019s own files still answer with source=own', 503, 6),
  auth_unavailable: code('the keys that verify tokens cannot be fetched (JWKS down, slow or malformed); retry later', 503, 6),
  revoked: code('the credentials were revoked; the connection is closed', 401, 3),
  timeout: code('a deadline expired before the work finished', 504, 7),
  cancelled: code('the caller cancelled the work', 499, 1),
  // The work itself failed.
  setup_failed: code('repository setup inside the container failed', 502, 1),
  git_unavailable: code('git is not installed in the container', 424, 1),
  internal: code('a bug: an unexpected failure (logged on the side that failed)', 500, 1),
} satisfies Record<string, ErrorCodeInfo>);

/** One of the codes in {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `value` is a registered error code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** The registry entry of `code`; unregistered codes read as `internal`. */
export function errorCodeInfo(code: string): ErrorCodeInfo {
  return isErrorCode(code) ? ERROR_CODES[code] : ERROR_CODES.internal;
}

/** HTTP status for `code` (500 for an unregistered one). */
export function httpStatusOf(code: string): number {
  return errorCodeInfo(code).status;
}

/** CLI exit code for `code` (1 for an unregistered one). */
export function exitCodeOf(code: string): number {
  return errorCodeInfo(code).exit;
}

/**
 * The CLI exit code of a thrown value that carries a registered `code` (`BosunError`,
 * driver and protocol errors, util's `DeadlineError`); undefined for anything else, which
 * an app shell turns into 1.
 */
export function exitCodeOfError(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return isErrorCode(code) ? ERROR_CODES[code].exit : undefined;
}

/** Options of {@link BosunError}. */
export interface BosunErrorOptions {
  /** Extra machine-readable facts, sent on the wire under `details`. */
  details?: Record<string, unknown>;
  /** The underlying error, kept for logs, never sent. */
  cause?: unknown;
}

/**
 * The error domain code throws: a registered {@link ErrorCode}, one line for people and
 * optional `details`. Services (sandbox, terminals, jobs) throw it; each transport
 * adapter turns it into its own wire form with {@link BosunError.toWire} or
 * {@link httpStatusOf}.
 */
export class BosunError extends Error {
  override readonly name = 'BosunError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: BosunErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** HTTP status of this error's code. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** `{ v, type: 'error', id?, code, message, details? }` for a protocol of version `v`. */
  toWire(v: number, id?: string): WireErrorMessage {
    return errorToWire(this, v, id);
  }

  /** `what` does not exist for this owner. */
  static notFound(what: string): BosunError {
    return new BosunError('not_found', `${what} not found`);
  }
  /** The caller may not do this. */
  static forbidden(message: string): BosunError {
    return new BosunError('forbidden', message);
  }
  /** A host path resolves outside every allowed root. */
  static forbiddenPath(message: string, details?: Record<string, unknown>): BosunError {
    return new BosunError('forbidden_path', message, { details });
  }
  /** A value is not acceptable. */
  static invalidArgument(message: string, details?: Record<string, unknown>): BosunError {
    return new BosunError('invalid_argument', message, { details });
  }
  /** A deadline expired. */
  static timeout(what: string, ms: number): BosunError {
    return new BosunError('timeout', `${what} timed out after ${ms} ms`, { details: { timeoutMs: ms } });
  }
  /** Too much in flight. */
  static busy(message: string): BosunError {
    return new BosunError('busy', message);
  }
  /** Not supported here. */
  static unsupported(message: string): BosunError {
    return new BosunError('unsupported', message);
  }
}

/** True when `err` is a {@link BosunError}, optionally with `code`. */
export function isBosunError(err: unknown, code?: ErrorCode): err is BosunError {
  return err instanceof BosunError && (code === undefined || err.code === code);
}

/**
 * The `{ code, message, details? }` of any thrown value: a {@link BosunError}, or any
 * error whose `code` is registered (driver, protocol errors), keeps its code; anything
 * else is `internal` (and the caller should log it).
 */
export function toErrorBody(err: unknown): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
  if (err instanceof BosunError) return { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
  const c = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && isErrorCode(c)) {
    const details = (err as { details?: unknown }).details;
    return { code: c, message: err.message, ...(details && typeof details === 'object' ? { details: details as Record<string, unknown> } : {}) };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : 'internal error' };
}

/** The `error` message every protocol shares. */
export interface WireErrorMessage {
  v: number;
  type: 'error';
  id?: string;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Any thrown value as a protocol's `error` message (via {@link toErrorBody}): the one
 * way every transport turns an error into its wire form. The message is cut to 4 096
 * characters.
 */
export function errorToWire(err: unknown, v: number, id?: string): WireErrorMessage {
  const body = toErrorBody(err);
  return {
    v,
    type: 'error',
    ...(id === undefined ? {} : { id }),
    code: body.code,
    message: body.message.slice(0, 4096),
    ...(body.details ? { details: body.details } : {}),
  };
}
