import { exitCodeOf, isErrorCode } from '@bosun/protocol';

/**
 * The exit code of an error that carries a registered code (`BosunError`, util's
 * `DeadlineError` with `timeout`, …), from the one registry in `@bosun/protocol`;
 * undefined for anything else, which the app shell turns into 1.
 */
export function registryExitCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return isErrorCode(code) ? exitCodeOf(code) : undefined;
}
