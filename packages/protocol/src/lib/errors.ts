import { PROTOCOL_VERSIONS, type ProtocolName } from './versions.js';

/**
 * Stable machine codes of {@link ProtocolError}. Peers switch on these, so they never
 * change meaning:
 *
 * - `too_large`: the raw message is bigger than the parser's `maxBytes`.
 * - `too_deep`: objects and arrays nest deeper than the parser's `maxDepth`.
 * - `invalid_json`: not UTF-8 or not JSON.
 * - `unknown_type`: `type` names no message of this protocol (and direction).
 * - `unsupported_version`: `v` is a number but not this protocol's version.
 * - `invalid_field`: the message does not match its schema; `path` names the field.
 * - `invalid_frame`: a binary terminal frame is malformed.
 */
export const PROTOCOL_ERROR_CODES = [
  'too_large',
  'too_deep',
  'invalid_json',
  'unknown_type',
  'unsupported_version',
  'invalid_field',
  'invalid_frame',
] as const;

/** One of {@link PROTOCOL_ERROR_CODES}. */
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/** Path to a field inside a message: object keys and array indices, outermost first. */
export type FieldPath = readonly (string | number)[];

/** What every {@link ProtocolError} factory needs besides its own arguments. */
export interface ProtocolErrorContext {
  /** The protocol whose error reply {@link ProtocolError.toWire} builds. */
  protocol: ProtocolName;
  /** The request id read from the bad message, when one could be read. */
  id?: string;
}

/** The wire form of a protocol error: the `error` message of each protocol. */
export interface ProtocolErrorWire {
  v: number;
  type: 'error';
  id?: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Constructor options of {@link ProtocolError}; prefer the static factories. */
export interface ProtocolErrorOptions extends ProtocolErrorContext {
  code: ProtocolErrorCode;
  message: string;
  /** Path of the bad field (default `[]`: the whole message). */
  path?: FieldPath;
  /** Extra machine-readable facts, sent on the wire under `details`. */
  details?: Record<string, unknown>;
}

/**
 * The one error every parser in this package returns (or throws, in the `…OrThrow`
 * variants). It carries a stable {@link ProtocolErrorCode}, the path of the bad field,
 * the request id when one could be read, and turns itself into the protocol's error
 * reply with {@link ProtocolError.toWire}, so a server answers and keeps the
 * connection open.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** Stable machine code. */
  readonly code: ProtocolErrorCode;
  /** Path of the bad field; `[]` when the whole message is at fault. */
  readonly path: FieldPath;
  /** Protocol the bad message belongs to. */
  readonly protocol: ProtocolName;
  /** Request id read from the bad message, if any. */
  readonly id: string | undefined;
  /** Extra machine-readable facts (e.g. `{ maxBytes }`). */
  readonly details: Record<string, unknown> | undefined;

  constructor(options: ProtocolErrorOptions) {
    super(options.message);
    this.code = options.code;
    this.path = Object.freeze([...(options.path ?? [])]);
    this.protocol = options.protocol;
    this.id = options.id;
    this.details = options.details;
  }

  /** The message is `size` bytes, more than `maxBytes`. */
  static tooLarge(size: number, maxBytes: number, ctx: ProtocolErrorContext): ProtocolError {
    return new ProtocolError({
      ...ctx,
      code: 'too_large',
      message: `message is ${size} bytes, more than the ${maxBytes} allowed`,
      details: { size, maxBytes },
    });
  }

  /** Objects and arrays nest deeper than `maxDepth`. */
  static tooDeep(maxDepth: number, ctx: ProtocolErrorContext): ProtocolError {
    return new ProtocolError({
      ...ctx,
      code: 'too_deep',
      message: `message nests deeper than the ${maxDepth} levels allowed`,
      details: { maxDepth },
    });
  }

  /** The bytes are not UTF-8 or the text is not JSON. */
  static invalidJson(reason: string, ctx: ProtocolErrorContext): ProtocolError {
    return new ProtocolError({ ...ctx, code: 'invalid_json', message: `invalid JSON: ${reason}` });
  }

  /** `type` is not a message of this protocol (or not one this side accepts). */
  static unknownType(type: string, ctx: ProtocolErrorContext): ProtocolError {
    return new ProtocolError({
      ...ctx,
      code: 'unknown_type',
      message: `unknown message type ${JSON.stringify(type.slice(0, 64))}`,
      path: ['type'],
    });
  }

  /** `v` is a number other than the protocol's version. */
  static unsupportedVersion(received: number, ctx: ProtocolErrorContext): ProtocolError {
    const supported = PROTOCOL_VERSIONS[ctx.protocol];
    return new ProtocolError({
      ...ctx,
      code: 'unsupported_version',
      message: `${ctx.protocol} protocol version ${received} is not supported (this side speaks ${supported})`,
      path: ['v'],
      details: { received, supported: [supported] },
    });
  }

  /** The field at `path` is missing or wrong; `reason` says how. */
  static invalidField(path: FieldPath, reason: string, ctx: ProtocolErrorContext): ProtocolError {
    const where = path.length === 0 ? 'message' : path.join('.');
    return new ProtocolError({ ...ctx, code: 'invalid_field', message: `${where}: ${reason}`, path });
  }

  /** A binary terminal frame is malformed. */
  static invalidFrame(reason: string, ctx: ProtocolErrorContext): ProtocolError {
    return new ProtocolError({ ...ctx, code: 'invalid_frame', message: `invalid terminal frame: ${reason}` });
  }

  /**
   * The protocol's `error` reply for this error: `{ v, type: 'error', id?, code, message,
   * details? }`, where `details.path` is the bad field's path when there is one.
   */
  toWire(): ProtocolErrorWire {
    const details = { ...(this.path.length > 0 ? { path: [...this.path] } : {}), ...this.details };
    return {
      v: PROTOCOL_VERSIONS[this.protocol],
      type: 'error',
      ...(this.id === undefined ? {} : { id: this.id }),
      code: this.code,
      message: this.message,
      ...(Object.keys(details).length > 0 ? { details } : {}),
    };
  }
}

/** True when `value` is a {@link ProtocolError}. */
export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}
