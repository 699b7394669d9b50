import type { z } from 'zod';
import type { ConfigKeySpec } from '@bosun/config';

/** One example shown under `Examples:` in a command's `--help`. */
export interface CommandExample {
  /** The command line as typed, without the `$ ` prompt (e.g. `bosun probe --json`). */
  command: string;
  /** One line saying what it does; printed as a `#` comment above the command. */
  description: string;
}

/**
 * The value a config key takes when nothing sets it: what its schema parses `undefined`
 * to (`.default(…)` anywhere under optional/pipe wrappers). Undefined when the key has
 * no default (it is optional, or required).
 */
export function defaultOf(schema: z.ZodType): unknown {
  const parsed = schema.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A default as a person reads it in `--help`: strings bare, lists comma-separated
 * (`none` when empty), anything else as JSON.
 */
export function formatDefault(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map((v) => formatDefault(v)).join(',');
  return JSON.stringify(value) ?? String(value);
}

/**
 * The help line of one config key: its description, then `(default: X, env: Y)` with
 * whichever of the two it has. A secret key never shows its default.
 *
 * @param fallback text used when the key has no description (default: the key's name is passed by the caller).
 */
export function describeConfigKey(schema: z.ZodType, spec: ConfigKeySpec | undefined, fallback: string): string {
  const base = spec?.description ?? schema.description ?? fallback;
  const extra: string[] = [];
  const value = spec?.secret ? undefined : defaultOf(schema);
  if (value !== undefined) extra.push(`default: ${formatDefault(value)}`);
  if (spec?.env) extra.push(`env: ${spec.env}`);
  return extra.length ? `${base} (${extra.join(', ')})` : base;
}

/**
 * The `Environment:` block for keys that only an env var sets (no flag, e.g. a token
 * kept off the command line so it stays out of `ps`). Empty string when there are none.
 */
export function formatEnvOnlyKeys(rows: { env: string; description: string }[]): string {
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map((r) => r.env.length));
  return `\nEnvironment (no flag):\n${rows.map((r) => `  ${r.env.padEnd(width)}  ${r.description}`).join('\n')}\n`;
}

/** The `Examples:` block, `gh`-style: a `#` comment line, then the command after `$ `. Empty string when there are none. */
export function formatExamples(examples: readonly CommandExample[] | undefined): string {
  if (!examples?.length) return '';
  return `\nExamples:\n${examples.map((e) => `  # ${e.description}\n  $ ${e.command}`).join('\n\n')}\n`;
}
