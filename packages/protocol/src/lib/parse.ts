/**
 * Parsing at the boundary: raw bytes, text or an already-decoded value in, a typed
 * message or a {@link ProtocolError} out. Checks run in a fixed order so that peers
 * get the same error for the same input:
 *
 * 1. size (`too_large`, bytes or UTF-16 text measured as UTF-8; decoded values skip it),
 * 2. UTF-8 + JSON (`invalid_json`), then nesting depth (`too_deep`), so that no
 *    schema, logger or `JSON.stringify` downstream ever recurses into a hostile shape,
 * 3. an object with a string `type` (`invalid_field`, path `[]` or `['type']`),
 * 4. a known type for the protocol and direction (`unknown_type`, path `['type']`),
 * 5. `v` equal to the protocol version (`invalid_field` when not a number,
 *    `unsupported_version` otherwise, path `['v']`),
 * 6. the message's schema (`invalid_field`, path of the first issue).
 *
 * The `parse…` functions never throw; the `…OrThrow` variants throw only
 * {@link ProtocolError}.
 */
import type { z } from 'zod';
import { jsonTextDepth, valueDepth } from './depth.js';
import { ProtocolError, type ProtocolErrorContext } from './errors.js';
import type { BodyOf, MessageOf, Protocol } from './protocol.js';

/** Default largest message a parser accepts: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Default deepest nesting of objects and arrays a parser accepts: 32 levels. */
export const DEFAULT_MAX_DEPTH = 32;

/** Options of {@link parseMessage}. */
export interface ParseMessageOptions<D extends string = string> {
  /** Largest accepted message in bytes (default {@link DEFAULT_MAX_MESSAGE_BYTES}, 1 MiB). */
  maxBytes?: number;
  /** Deepest nesting of objects and arrays (default {@link DEFAULT_MAX_DEPTH}, 32). */
  maxDepth?: number;
  /**
   * Only accept the types of this direction (default: any direction of the protocol).
   * A server should always pass the direction it receives.
   */
  direction?: D;
}

/** Options of {@link parseBody}. */
export interface ParseBodyOptions {
  /** Largest accepted body in bytes (default {@link DEFAULT_MAX_MESSAGE_BYTES}, 1 MiB). */
  maxBytes?: number;
  /** Deepest nesting of objects and arrays (default {@link DEFAULT_MAX_DEPTH}, 32). */
  maxDepth?: number;
}

/** Outcome of a non-throwing parse. */
export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: ProtocolError };

/** Raw input of a parser: UTF-8 bytes (`Uint8Array`, `Buffer`, `ArrayBuffer`), JSON text, or a value already decoded from JSON. */
export type RawInput = string | Uint8Array | unknown;

type Direction<P extends Protocol> = keyof P['directions'] & string;

/** Output of {@link parseMessage}: the direction's message union, or every direction's. */
export type ParsedMessage<P extends Protocol, D extends Direction<P> | undefined> = D extends Direction<P>
  ? MessageOf<P, D>
  : { [K in Direction<P>]: MessageOf<P, K> }[Direction<P>];

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const encoder = new TextEncoder();

function utf8Length(text: string, limit: number): number {
  // Each UTF-16 unit is 1 to 3 UTF-8 bytes: skip encoding when the answer is clear.
  if (text.length > limit || text.length * 3 <= limit) return text.length > limit ? text.length : 0;
  return encoder.encode(text).byteLength;
}

function readId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as Record<string, unknown>)['id'];
  return typeof id === 'string' && id.length >= 1 && id.length <= 128 ? id : undefined;
}

/** Size, JSON and depth checks; returns the decoded value or throws ProtocolError. */
function decode(raw: RawInput, maxBytes: number, ctx: ProtocolErrorContext, maxDepth = DEFAULT_MAX_DEPTH): unknown {
  let text: string;
  if (raw instanceof ArrayBuffer) raw = new Uint8Array(raw);
  if (typeof raw === 'string') {
    const size = utf8Length(raw, maxBytes);
    if (size > maxBytes) throw ProtocolError.tooLarge(size, maxBytes, ctx);
    text = raw;
  } else if (raw instanceof Uint8Array) {
    if (raw.byteLength > maxBytes) throw ProtocolError.tooLarge(raw.byteLength, maxBytes, ctx);
    try {
      text = utf8.decode(raw);
    } catch {
      throw ProtocolError.invalidJson('bytes are not UTF-8', ctx);
    }
  } else {
    if (valueDepth(raw, maxDepth) > maxDepth) {
      const id = readId(raw);
      throw ProtocolError.tooDeep(maxDepth, id === undefined ? ctx : { ...ctx, id });
    }
    return raw;
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw ProtocolError.invalidJson(err instanceof Error ? err.message.slice(0, 200) : 'unparseable', ctx);
  }
  if (jsonTextDepth(text, maxDepth) > maxDepth) {
    const id = readId(value);
    throw ProtocolError.tooDeep(maxDepth, id === undefined ? ctx : { ...ctx, id });
  }
  return value;
}

type Issue = z.core.$ZodIssue;

/**
 * For a value that matched no branch of a union, the issue of the closest branch
 * (fewest issues, then deepest path), so the path names the field really at fault.
 */
function innermost(issue: Issue, prefix: PropertyKey[] = []): { issue: Issue; path: PropertyKey[] } {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { issue, path };
  let best: Issue[] | undefined;
  for (const branch of issue.errors) {
    if (branch.length === 0) continue;
    const depth = (branch[0] as Issue).path.length;
    if (best === undefined || branch.length < best.length || (branch.length === best.length && depth > (best[0] as Issue).path.length)) {
      best = branch;
    }
  }
  return best === undefined ? { issue, path } : innermost(best[0] as Issue, path);
}

/** Turns the first zod issue into an `invalid_field` error with the field's full path. */
function fromZod(error: z.ZodError, ctx: ProtocolErrorContext): ProtocolError {
  const first = error.issues[0];
  if (first === undefined) return ProtocolError.invalidField([], 'invalid', ctx);
  const { issue, path: keys } = innermost(first);
  const path: (string | number)[] = keys.map((key) => (typeof key === 'symbol' ? String(key) : key));
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
    return ProtocolError.invalidField([...path, issue.keys[0] as string], 'unknown field', ctx);
  }
  return ProtocolError.invalidField(path, issue.message, ctx);
}

function parseMessageUnsafe<P extends Protocol>(
  protocol: P,
  raw: RawInput,
  opts: ParseMessageOptions<Direction<P>>,
): unknown {
  const ctx: ProtocolErrorContext = { protocol: protocol.name };
  const value = decode(raw, opts.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES, ctx, opts.maxDepth);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ProtocolError.invalidField([], 'expected a JSON object', ctx);
  }
  const id = readId(value);
  if (id !== undefined) ctx.id = id;
  const record = value as Record<string, unknown>;
  const type = record['type'];
  if (typeof type !== 'string') throw ProtocolError.invalidField(['type'], 'expected a string message type', ctx);
  const known =
    opts.direction === undefined
      ? protocol.types.has(type)
      : (protocol.typesByDirection[opts.direction]?.has(type) ?? false);
  const schema = known ? protocol.types.get(type) : undefined;
  if (schema === undefined) throw ProtocolError.unknownType(type, ctx);
  const v = record['v'];
  if (typeof v !== 'number') throw ProtocolError.invalidField(['v'], 'expected the protocol version number', ctx);
  if (v !== protocol.version) throw ProtocolError.unsupportedVersion(v, ctx);
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, ctx);
  return result.data;
}

function toResult<T>(run: () => T, ctx: ProtocolErrorContext, raw: RawInput): ParseResult<T> {
  try {
    return { ok: true, message: run() };
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, error: err };
    // Only an engine failure lands here (e.g. a stack overflow on absurd nesting):
    // still a bad message, never a crash.
    const id = readId(raw);
    return {
      ok: false,
      error: ProtocolError.invalidField([], 'message could not be validated', id === undefined ? ctx : { ...ctx, id }),
    };
  }
}

/**
 * Parses one JSON message of `protocol` (optionally only the types of
 * `opts.direction`). Never throws.
 *
 * @example
 * const r = parseMessage(workerProtocol, frame, { direction: 'toWorker' });
 * if (!r.ok) ws.send(JSON.stringify(r.error.toWire()));
 */
export function parseMessage<P extends Protocol, D extends Direction<P> | undefined = undefined>(
  protocol: P,
  raw: RawInput,
  opts: ParseMessageOptions<Direction<P>> & { direction?: D } = {},
): ParseResult<ParsedMessage<P, D>> {
  return toResult(
    () => parseMessageUnsafe(protocol, raw, opts) as ParsedMessage<P, D>,
    { protocol: protocol.name },
    raw,
  );
}

/** Like {@link parseMessage} but returns the message or throws a {@link ProtocolError}. */
export function parseMessageOrThrow<P extends Protocol, D extends Direction<P> | undefined = undefined>(
  protocol: P,
  raw: RawInput,
  opts: ParseMessageOptions<Direction<P>> & { direction?: D } = {},
): ParsedMessage<P, D> {
  const result = parseMessage(protocol, raw, opts);
  if (!result.ok) throw result.error;
  return result.message;
}

/**
 * Parses a plain HTTP JSON body of `protocol` (no envelope: size, JSON, then the
 * body's schema). Never throws.
 */
export function parseBody<P extends Protocol, K extends keyof P['bodies'] & string>(
  protocol: P,
  name: K,
  raw: RawInput,
  opts: ParseBodyOptions = {},
): ParseResult<BodyOf<P, K>> {
  const ctx: ProtocolErrorContext = { protocol: protocol.name };
  return toResult(
    () => {
      const value = decode(raw, opts.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES, ctx, opts.maxDepth);
      const schema = protocol.bodies[name] as z.ZodType | undefined;
      if (schema === undefined) throw ProtocolError.unknownType(name, ctx);
      const result = schema.safeParse(value);
      if (!result.success) throw fromZod(result.error, ctx);
      return result.data as BodyOf<P, K>;
    },
    ctx,
    raw,
  );
}

/** Like {@link parseBody} but returns the body or throws a {@link ProtocolError}. */
export function parseBodyOrThrow<P extends Protocol, K extends keyof P['bodies'] & string>(
  protocol: P,
  name: K,
  raw: RawInput,
  opts: ParseBodyOptions = {},
): BodyOf<P, K> {
  const result = parseBody(protocol, name, raw, opts);
  if (!result.ok) throw result.error;
  return result.message;
}
