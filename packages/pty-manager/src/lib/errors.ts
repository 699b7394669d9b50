/** Stable machine codes for every error this package throws. */
export const PtyErrorCode = {
  /** No session with that id. */
  SessionNotFound: 'PTY_ERR_SESSION_NOT_FOUND',
  /** The session's process has exited; it takes no input or resize. */
  SessionExited: 'PTY_ERR_SESSION_EXITED',
  /** The viewer was attached read-only and tried to write. */
  ReadOnly: 'PTY_ERR_READ_ONLY',
  /** The viewer has been detached or dropped. */
  ViewerClosed: 'PTY_ERR_VIEWER_CLOSED',
  /** Options failed validation. */
  InvalidOptions: 'PTY_ERR_INVALID_OPTIONS',
  /** The tmux backend was asked for but tmux is not usable. */
  TmuxUnavailable: 'PTY_ERR_TMUX_UNAVAILABLE',
  /** The pinned @xterm/headless lacks the synchronous write path snapshots need. */
  EmulatorUnsupported: 'PTY_ERR_EMULATOR_UNSUPPORTED',
} as const;

/** One of {@link PtyErrorCode}'s values. */
export type PtyErrorCode = (typeof PtyErrorCode)[keyof typeof PtyErrorCode];

/** The one error class of this package; `code` is stable, `message` is for people. */
export class PtyError extends Error {
  override readonly name = 'PtyError';
  constructor(
    readonly code: PtyErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** No session `id`. */
  static sessionNotFound(id: string): PtyError {
    return new PtyError(PtyErrorCode.SessionNotFound, `no terminal session ${id}`);
  }
  /** Session `id` has exited. */
  static sessionExited(id: string): PtyError {
    return new PtyError(PtyErrorCode.SessionExited, `terminal session ${id} has exited`);
  }
  /** A read-only viewer tried to write. */
  static readOnly(viewerId: string): PtyError {
    return new PtyError(PtyErrorCode.ReadOnly, `viewer ${viewerId} is read-only`);
  }
  /** The viewer is gone. */
  static viewerClosed(viewerId: string): PtyError {
    return new PtyError(PtyErrorCode.ViewerClosed, `viewer ${viewerId} is detached`);
  }
  /** Bad options; `key` names the offending option. */
  static invalidOptions(key: string, why: string): PtyError {
    return new PtyError(PtyErrorCode.InvalidOptions, `invalid option ${key}: ${why}`);
  }
}
