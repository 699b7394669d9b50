/** Log entries the node agent streams to operators (`log` frames) and serves from `GET /v1/logs`. */
import { z } from 'zod';
import { eventSchema } from '../envelope.js';
import { OpaqueObjectSchema, TimestampSchema } from '../fields.js';
import { NODE_AGENT_PROTOCOL_VERSION as V } from '../versions.js';

/** Log level names (pino's). */
export const LogLevelSchema = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
/** A {@link LogLevelSchema} value. */
export type LogLevel = z.infer<typeof LogLevelSchema>;

const entryShape = {
  ts: TimestampSchema,
  level: LogLevelSchema,
  /** Subsystem that logged it, e.g. `pty-manager`. */
  source: z.string().min(1).max(128),
  message: z.string().max(65_536),
  /** Structured context (never secrets: the logger redacts them). */
  fields: OpaqueObjectSchema.optional(),
};

/** One log entry. */
export const LogEntrySchema = z.strictObject(entryShape);
/** A {@link LogEntrySchema} value. */
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** Agent → viewer: one log entry, flat in the envelope. */
export const LogFrameSchema = eventSchema(V, 'log', entryShape);
/** A {@link LogFrameSchema} frame. */
export type LogFrame = z.infer<typeof LogFrameSchema>;

/** Body of `GET /v1/logs`. */
export const LogListBodySchema = z.strictObject({
  entries: z.array(LogEntrySchema).max(10_000),
  /** Opaque cursor of the next (older) page; absent on the last page. */
  next: z.string().max(512).optional(),
});
/** A {@link LogListBodySchema} body. */
export type LogListBody = z.infer<typeof LogListBodySchema>;
