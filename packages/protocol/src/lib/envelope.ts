/**
 * The envelope every JSON message uses: a flat object
 * `{ v: <protocol version>, type: '<literal>', id?: string, ...fields }`.
 *
 * - Requests carry `id` (1..128 characters); the reply to request `X` has type
 *   `X.result` and echoes the `id`.
 * - Messages are strict objects: an unknown field is an error, because a peer that
 *   adds fields must bump the version anyway (parsers reject unknown types too).
 *   Nested objects that other tools fill in (capability reports, RFC 8628 bodies)
 *   are loose; their schemas say so.
 * - Each protocol has one `error` message: `{ v, type: 'error', id?, code, message, details? }`.
 */
import { z } from 'zod';
import { DetailSchema, ErrorCodeSchema, RequestIdSchema } from './fields.js';

/** Builds a message schema without `id` (events, pushes). */
export function eventSchema<const V extends number, const T extends string, S extends z.ZodRawShape>(
  version: V,
  type: T,
  shape: S,
) {
  return z.strictObject({ v: z.literal(version), type: z.literal(type), ...shape });
}

/** Builds a message schema whose `id` is optional (echoed on errors when present). */
export function optionalIdSchema<const V extends number, const T extends string, S extends z.ZodRawShape>(
  version: V,
  type: T,
  shape: S,
) {
  return z.strictObject({ v: z.literal(version), type: z.literal(type), id: RequestIdSchema.optional(), ...shape });
}

/** Builds a request (or reply) schema: `id` is required. */
export function requestSchema<const V extends number, const T extends string, S extends z.ZodRawShape>(
  version: V,
  type: T,
  shape: S,
) {
  return z.strictObject({ v: z.literal(version), type: z.literal(type), id: RequestIdSchema, ...shape });
}

/** Builds the reply schema of request `type`: type `${type}.result`, `id` required. */
export function resultSchema<const V extends number, const T extends string, S extends z.ZodRawShape>(
  version: V,
  type: T,
  shape: S,
) {
  return requestSchema(version, `${type}.result` as `${T}.result`, shape);
}

/**
 * Builds a protocol's `error` message. `code` is any snake_case string so that an
 * older peer still reads errors a newer peer invents; `details` is an open object
 * (parsers put the bad field's path in `details.path`).
 */
export function errorSchema<const V extends number>(version: V) {
  return z.strictObject({
    v: z.literal(version),
    type: z.literal('error'),
    id: RequestIdSchema.optional(),
    code: ErrorCodeSchema,
    message: DetailSchema,
    details: z.record(z.string(), z.unknown()).optional(),
  });
}
