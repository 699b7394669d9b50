/**
 * The one line an app prints on stderr for any error a person must read: `<app>: <what>`,
 * e.g. `bosun: unknown option '--jsn' (Did you mean --json?)`. Every error of one app
 * carries the same prefix (the app's name), whichever part of it failed: the flag parser,
 * config loading or start-up. Line breaks in the message are folded into spaces so the
 * result is always exactly one line, ending in `\n`.
 */
export function errorLine(appName: string, message: string): string {
  const text = message
    .replace(/^error: /, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return `${appName}: ${text || 'failed'}\n`;
}

/** The message of any thrown value: an Error's `message` (its name when empty), else the value as text. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
}

/**
 * What a start-up failure's structured log entry carries (under `error`): type, message and code, and the
 * stack only when `withStack` (the logger is at `debug` or more verbose) — a person at the
 * default level reads the one line on stderr, not a trace.
 */
export function errorSummary(error: unknown, withStack: boolean): Record<string, unknown> {
  const e = error as { name?: unknown; code?: unknown; stack?: unknown } | null | undefined;
  return {
    type: error instanceof Error ? error.name : typeof error,
    message: messageOf(error),
    ...(typeof e?.code === 'string' || typeof e?.code === 'number' ? { code: e.code } : {}),
    ...(withStack && typeof e?.stack === 'string' ? { stack: e.stack } : {}),
  };
}
