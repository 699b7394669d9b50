/** Where a config value came from, in precedence order (first wins). */
export type ConfigSourceKind = 'flag' | 'env' | 'file' | 'default';

/** A precise description of one source, e.g. `env WORKER_NAME` or `file /etc/bosun/agent.yaml`. */
export interface ConfigOrigin {
  kind: ConfigSourceKind;
  /** The flag (`--data-dir`), env var name, file path, or `default`. */
  name: string;
}

/** Stable codes of {@link ConfigError}. */
export type ConfigErrorCode = 'invalid_value' | 'unknown_key' | 'file_unreadable' | 'file_invalid';

/**
 * The one error config loading throws. Its `message` is a single line naming the key,
 * the source it came from and what was expected, so an app can print it as it is.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  private constructor(
    readonly code: ConfigErrorCode,
    message: string,
    readonly key: string | undefined,
    readonly origin: ConfigOrigin | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** A value failed its schema. `expected` is the schema's own words. */
  static invalidValue(key: string, origin: ConfigOrigin, expected: string, received: unknown): ConfigError {
    return new ConfigError(
      'invalid_value',
      `config: ${key} from ${describeOrigin(origin)}: ${expected} (got ${preview(received)})`,
      key,
      origin,
    );
  }

  /** A file set a key the app does not know (usually a typo). */
  static unknownKey(key: string, origin: ConfigOrigin, known: readonly string[]): ConfigError {
    return new ConfigError(
      'unknown_key',
      `config: ${key} from ${describeOrigin(origin)}: unknown key (known keys: ${known.join(', ')})`,
      key,
      origin,
    );
  }

  /** The file could not be read (missing when required, no permission, …). */
  static fileUnreadable(path: string, cause: unknown): ConfigError {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    return new ConfigError('file_unreadable', `config: file ${path}: cannot read (${reason})`, undefined, { kind: 'file', name: path }, { cause });
  }

  /** The file is not valid YAML/JSON, or its top level is not a mapping. */
  static fileInvalid(path: string, reason: string, cause?: unknown): ConfigError {
    return new ConfigError('file_invalid', `config: file ${path}: ${reason}`, undefined, { kind: 'file', name: path }, { cause });
  }
}

/** `env WORKER_NAME`, `flag --data-dir`, `file ./agent.yaml`, `default`. */
export function describeOrigin(origin: ConfigOrigin): string {
  return origin.kind === 'default' ? 'default' : `${origin.kind} ${origin.name}`;
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
