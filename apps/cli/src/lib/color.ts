/**
 * Whether to colour output: only when stdout is a terminal, `NO_COLOR` is unset or empty
 * (https://no-color.org) and `TERM` is not `dumb`. Colour never changes what is printed,
 * only how it looks.
 */
export function shouldColor(stdoutIsTTY: boolean, env: Record<string, string | undefined>): boolean {
  if (!stdoutIsTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}
