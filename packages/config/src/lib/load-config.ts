import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigOrigin } from './config-error.js';

/** How one config key is reached from the outside. */
export interface ConfigKeySpec {
  /** Environment variable that sets it (e.g. `ORCHESTRATOR_WS_URL`). */
  env?: string;
  /** Long flag without dashes (e.g. `data-dir`); default: the key in kebab-case. `false` for none. */
  flag?: string | false;
  /** One line for `--help`. */
  description?: string;
  /** Never echo the value in errors (tokens, passwords). Default false. */
  secret?: boolean;
}

/**
 * What an app declares once: the schema of its config (a zod object whose fields carry
 * their defaults) and, per key, the env var and flag that set it.
 */
export interface ConfigSpec<S extends z.ZodObject> {
  schema: S;
  keys: { [K in keyof z.infer<S>]?: ConfigKeySpec };
}

/** The raw inputs, each optional. Libraries get these from the app; they never read `process.env`. */
export interface ConfigSources {
  /** Parsed CLI flags by key (values as strings, booleans or already-typed values). */
  flags?: Record<string, unknown>;
  /** Environment variables. */
  env?: Record<string, string | undefined>;
  /** A YAML or JSON file (by extension; `.json` is JSON, anything else YAML, which also reads JSON). */
  file?: { path: string; required?: boolean };
}

/** A loaded config: the frozen values, plus where each came from. */
export interface LoadedConfig<T> {
  values: Readonly<T>;
  origins: Readonly<Record<keyof T & string, ConfigOrigin>>;
}

/** Helper that keeps the key map typed against the schema. */
export function defineConfig<S extends z.ZodObject>(spec: ConfigSpec<S>): ConfigSpec<S> {
  return spec;
}

/** The flag name of a key: its spec's `flag`, else the key in kebab-case; undefined when it has none. */
export function flagNameOf(key: string, spec: ConfigKeySpec | undefined): string | undefined {
  if (spec?.flag === false) return undefined;
  return spec?.flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Loads config with precedence CLI flags > environment > file > defaults, validates each
 * value against its schema, and returns it deeply frozen.
 *
 * @throws {ConfigError} one line naming the key, the source it came from and what was expected.
 */
export function loadConfig<S extends z.ZodObject>(spec: ConfigSpec<S>, sources: ConfigSources = {}): LoadedConfig<z.infer<S>> {
  const shape = spec.schema.shape as Record<string, z.ZodType>;
  const keys = Object.keys(shape);
  const keySpecs = spec.keys as Record<string, ConfigKeySpec | undefined>;
  const fileValues = sources.file ? readConfigFile(sources.file.path, sources.file.required ?? false) : {};
  const fileOrigin: ConfigOrigin | undefined = sources.file ? { kind: 'file', name: sources.file.path } : undefined;

  for (const key of Object.keys(fileValues)) {
    if (!(key in shape)) throw ConfigError.unknownKey(key, fileOrigin!, keys);
  }

  const raw: Record<string, unknown> = {};
  const origins: Record<string, ConfigOrigin> = {};
  for (const key of keys) {
    const ks = keySpecs[key];
    const flag = flagNameOf(key, ks);
    const fromFlag = sources.flags?.[key];
    const fromEnv = ks?.env ? sources.env?.[ks.env] : undefined;
    let origin: ConfigOrigin;
    let value: unknown;
    if (fromFlag !== undefined && flag) {
      origin = { kind: 'flag', name: `--${flag}` };
      value = typeof fromFlag === 'string' ? coerceString(shape[key], fromFlag) : fromFlag;
    } else if (fromEnv !== undefined && fromEnv !== '' && ks?.env) {
      origin = { kind: 'env', name: ks.env };
      value = coerceString(shape[key], fromEnv);
    } else if (fileValues[key] !== undefined) {
      origin = fileOrigin!;
      value = fileValues[key];
    } else {
      origin = { kind: 'default', name: 'default' };
      value = undefined;
    }
    const parsed = shape[key].safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length ? ` at ${issue.path.join('.')}` : '';
      throw ConfigError.invalidValue(key, origin, `${issue.message}${where}`, ks?.secret ? '<redacted>' : value);
    }
    raw[key] = parsed.data;
    origins[key] = origin;
  }

  // Cross-field rules (refinements on the object) see the merged values.
  const whole = spec.schema.safeParse(raw);
  if (!whole.success) {
    const issue = whole.error.issues[0];
    const key = String(issue.path[0] ?? keys[0]);
    throw ConfigError.invalidValue(key, origins[key] ?? { kind: 'default', name: 'default' }, issue.message, keySpecs[key]?.secret ? '<redacted>' : raw[key]);
  }
  return { values: deepFreeze(whole.data) as Readonly<z.infer<S>>, origins: Object.freeze(origins) as LoadedConfig<z.infer<S>>['origins'] };
}

// The YAML parser (~1 MB of heap) is loaded with the first YAML file, not by every app at start.
const requireHere = createRequire(import.meta.url);
function parseYaml(text: string): unknown {
  return (requireHere('yaml') as typeof import('yaml')).parse(text);
}

/** Reads a YAML/JSON mapping; a missing optional file gives `{}`. */
export function readConfigFile(path: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw ConfigError.fileUnreadable(path, err);
  }
  let data: unknown;
  try {
    data = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw ConfigError.fileInvalid(path, `not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, err);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw ConfigError.fileInvalid(path, 'top level must be a mapping of keys to values');
  return data as Record<string, unknown>;
}

/**
 * Env vars and flags arrive as strings: turn them into what the key's schema expects,
 * so `"30"` becomes 30 for a number and `"true"` true for a boolean. A string that does
 * not look like the expected type is left as it is, so the schema reports it.
 */
export function coerceString(schema: z.ZodType, text: string): unknown {
  const kind = schemaKind(schema);
  switch (kind) {
    case 'number':
    case 'bigint':
      return /^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text) ? Number(text) : text;
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(t)) return true;
      if (['0', 'false', 'no', 'off'].includes(t)) return false;
      return text;
    }
    case 'array':
      return text === '' ? [] : text.split(',').map((s) => s.trim());
    case 'object':
    case 'record':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return text;
  }
}

/** The zod type name (`number`, `boolean`, `array`, …) under optional/default/nullable/pipe wrappers. */
export function schemaKind(schema: z.ZodType): string {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } };
  for (let i = 0; i < 10; i++) {
    const def = s.def;
    if (def.innerType && ['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch'].includes(def.type)) {
      s = def.innerType as typeof s;
    } else if (def.type === 'pipe' && def.in) {
      s = def.in as typeof s;
    } else {
      return def.type;
    }
  }
  return s.def.type;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
