/**
 * Field schemas shared by several protocols. Ids that may end up in a file name or
 * a label use a restricted alphabet, so that a hostile id can never traverse a path.
 */
import { z } from 'zod';
import { valueDepth } from './depth.js';

/** Deepest nesting an open-ended object may have inside a message (its own level counts as 1). */
export const OPEN_OBJECT_MAX_DEPTH = 8;
/** Largest JSON size of an open-ended object inside a message. */
export const OPEN_OBJECT_MAX_BYTES = 256 * 1024;

/**
 * Bounds an open-ended (loose or record) object schema: at most
 * {@link OPEN_OBJECT_MAX_DEPTH} levels and {@link OPEN_OBJECT_MAX_BYTES} of JSON, so
 * whatever a peer stuffs into it can be stored, listed and serialised safely.
 */
export function boundedOpen<T extends z.ZodType>(schema: T, maxDepth = OPEN_OBJECT_MAX_DEPTH, maxBytes = OPEN_OBJECT_MAX_BYTES): T {
  return schema.superRefine((value, ctx) => {
    if (valueDepth(value, maxDepth) > maxDepth) {
      ctx.addIssue({ code: 'custom', message: `nests deeper than ${maxDepth} levels` });
      return;
    }
    if (JSON.stringify(value).length > maxBytes) ctx.addIssue({ code: 'custom', message: `larger than ${maxBytes} bytes of JSON` });
  }) as unknown as T;
}

/** Request id: any string of 1 to 128 characters, echoed by the reply. */
export const RequestIdSchema = z.string().min(1).max(128);

/**
 * Id of a resource (tenant, workspace, container, terminal, session, job…): 1 to 128
 * characters from `A-Z a-z 0-9 . _ : -`, starting with a letter or digit. Safe in file
 * names, labels and URLs; its UTF-8 form fits a binary frame's one-byte length.
 */
export const ResourceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'expected 1-128 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit');

/** Human-readable name: 1 to 128 characters. */
export const NameSchema = z.string().min(1).max(128);

/** Free-form detail text, at most 4096 characters. */
export const DetailSchema = z.string().max(4096);

/** Non-negative safe integer (sizes in bytes, counts, offsets). */
export const CountSchema = z.int().min(0);

/** Byte offset into a terminal's output stream (non-negative safe integer). */
export const OffsetSchema = z.int().min(0);

/** Terminal width or height in cells: an integer from 1 to 1000. */
export const CellsSchema = z.int().min(1).max(1000);

/** Environment variables: POSIX names to string values. */
export const EnvSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'expected an environment variable name'),
  z.string().max(32_768),
);

/** Container labels: keys of 1 to 255 characters, values up to 4096. */
export const LabelsSchema = z.record(z.string().min(1).max(255), z.string().max(4096));

/** Command as argv: 1 to 1024 strings, the first non-empty. */
export const ArgvSchema = z.array(z.string().max(65_536)).min(1).max(1024)
  .refine((argv) => argv[0] !== '', 'argv[0] must not be empty');

/**
 * Absolute POSIX path: starts with `/`, no `..` segment, no NUL or backslash, at most
 * 4096 characters.
 */
export const AbsolutePathSchema = z
  .string()
  .max(4096)
  .regex(/^\/(?!.*(?:^|\/)\.\.(?:\/|$))[^\0\\]*$/, 'expected an absolute path without ".." segments');

/**
 * Relative POSIX path that stays inside the directory it is joined to: not absolute,
 * no `..` segment, no NUL or backslash, no trailing `/`, not `.`; 1 to 4096 characters.
 * Receivers still resolve it and check it stays inside (defence in depth).
 */
export const RelativePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .regex(
    /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))(?!\.?$)(?!.*\/$)[^\0\\]+$/,
    'expected a relative path without ".." segments',
  );

/** ISO 8601 date-time with a UTC offset or `Z`, e.g. `2025-01-31T12:00:00.000Z`. */
export const TimestampSchema = z.iso.datetime({ offset: true });

/** Duration in milliseconds: a non-negative integer of at most 7 days. */
export const DurationMsSchema = z.int().min(0).max(7 * 24 * 3600 * 1000);

/** A JSON object whose content another spec owns (e.g. an ACP session update); not inspected. */
export const OpaqueObjectSchema = boundedOpen(z.record(z.string(), z.unknown()));

/** Base64 text (standard alphabet, padded). */
export const Base64Schema = z.base64();

/** Error code inside an error reply: snake_case, 1 to 64 characters. */
export const ErrorCodeSchema = z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'expected a snake_case error code');
