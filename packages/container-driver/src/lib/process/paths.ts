/**
 * Caller paths inside a session directory: `/` of the "container" is the session dir.
 */
import { resolve, sep } from 'node:path';
import { DriverError } from '../errors.js';

/**
 * Maps a container path (`/work`, `work/x`) to a host path inside `sessionDir`.
 * Throws `invalid_argument` when it would leave the session (`..`, NUL bytes).
 */
export function sessionPath(sessionDir: string, p: string): string {
  if (typeof p !== 'string' || p.includes('\0')) throw DriverError.invalidArgument('path must be a string without NUL');
  const abs = resolve(sessionDir, p.replace(/^\/+/, ''));
  if (abs !== sessionDir && !abs.startsWith(sessionDir + sep)) {
    throw DriverError.invalidArgument(`path ${JSON.stringify(p)} leaves the session directory`);
  }
  return abs;
}

/** Same check for a path already resolved on the host (e.g. after realpath). */
export function assertInside(sessionDir: string, abs: string): void {
  if (abs !== sessionDir && !abs.startsWith(sessionDir + sep)) {
    throw DriverError.invalidArgument(`path ${JSON.stringify(abs)} leaves the session directory`);
  }
}
