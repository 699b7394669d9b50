/**
 * Turns dockerode / engine errors into {@link DriverError}s with stable codes.
 */
import { DriverError, isDriverError } from '../errors.js';

interface EngineHttpError {
  statusCode?: number;
  code?: string;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

/** The engine's own message, without dockerode's "(HTTP code N) reason -" prefix. */
export function engineMessage(err: unknown): string {
  const e = err as EngineHttpError;
  return (e?.json?.message ?? e?.message ?? String(err)).trim();
}

/** Maps an engine failure while doing `what` (e.g. `container abc`) to a DriverError. */
export function toDriverError(err: unknown, what: string, ctx: { image?: string } = {}): DriverError {
  if (isDriverError(err)) return err;
  const e = err as EngineHttpError;
  const msg = engineMessage(err);
  if (e?.code && ['ECONNREFUSED', 'ENOENT', 'EPIPE', 'ECONNRESET', 'EACCES'].includes(e.code)) {
    return DriverError.engineUnavailable(`engine unavailable: ${e.code}`, err);
  }
  if ((e as Error)?.name === 'AbortError') {
    // Say what happened: the call's own AbortSignal.timeout fired, or a caller aborted it; never "after 0 ms".
    const reason = (err as { cause?: unknown }).cause;
    if (isDriverError(reason)) return reason;
    if ((reason as Error | undefined)?.name === 'TimeoutError') return new DriverError('timeout', `${what}: the engine did not answer before the call's deadline`, err);
    return new DriverError('timeout', `${what}: the call was aborted before the engine answered`, err);
  }
  const imageMissing = /no such image|image not known|not found.*image|image.*not found|unable to find image/i.test(msg);
  switch (e?.statusCode) {
    case 404:
      return ctx.image && imageMissing ? DriverError.imageNotFound(ctx.image, err) : DriverError.notFound(what, err);
    case 409:
      return DriverError.conflict(`${what}: ${msg}`, err);
    case 400:
      return DriverError.invalidArgument(`${what}: ${msg}`, err);
    case 500:
      if (ctx.image && imageMissing) return DriverError.imageNotFound(ctx.image, err);
      if (/rlimit|ulimit|cgroup.*(memory|pids|cpu)/i.test(msg)) return DriverError.limitInvalid(`${what}: ${msg}`, err);
      if (/is running|not running|state improper|is paused|in use/i.test(msg)) return DriverError.conflict(`${what}: ${msg}`, err);
      if (/no such (container|exec|volume)/i.test(msg)) return DriverError.notFound(what, err);
      return DriverError.engineUnavailable(`${what}: ${msg}`, err);
    default:
      return DriverError.engineUnavailable(`${what}: ${msg}`, err);
  }
}
