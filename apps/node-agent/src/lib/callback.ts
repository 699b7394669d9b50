/**
 * The callback heartbeat: the node agent tells its control plane, at an interval, that
 * it is alive, which workspaces have terminals, and a few host figures
 * (`POST {CONTROL_PLANE_URL}/api/nodes/callback`, `Authorization: Bearer <CALLBACK_TOKEN>`).
 * The reply may carry a refreshed token, kept 0600 in `DATA_DIR/callback-token` so a
 * restarted agent uses the newest. The token is never logged, in whole or in part.
 */
import { createHash } from 'node:crypto';
import { cpus, freemem, loadavg, totalmem, uptime } from 'node:os';
import { isLoopbackHost, readPrivateFileSync } from '@bosun/auth';
import type { Logger } from '@bosun/logger';
import { BosunError } from '@bosun/protocol';
import type { AliveTerminal } from '@bosun/terminal-service';
import { LogThrottle, readBoundedText, systemClock, withDeadline, writePrivateFileSync, type Clock } from '@bosun/util';
import { z } from 'zod';

/** A workspace with terminals alive, as reported. */
export interface CallbackWorkspace {
  workspaceId: string;
  terminals: number;
}

/** Host figures, as reported. */
export interface CallbackMetrics {
  cpuCount: number;
  loadAvg1: number;
  memoryTotal: number;
  memoryFree: number;
  uptimeSec: number;
}

/** What each callback says besides the node id and interval (built fresh for every post). */
export interface CallbackPayload {
  version: string;
  workspaces: CallbackWorkspace[];
  metrics: CallbackMetrics;
}

/** One finished attempt, for tests and metrics. */
export interface CallbackAttempt {
  /** 1 for the first post. */
  attempt: number;
  ok: boolean;
  /** HTTP status, when the control plane answered. */
  status?: number;
  /** Why it failed: the control plane's error code, `timeout`, `invalid_reply`, or a socket error code such as `ECONNREFUSED`. */
  code?: string;
  /** Failures in a row (0 after a success). */
  failures: number;
  /** When the next post goes out, in ms from now. */
  nextInMs: number;
  /** The reply carried a new token and it was kept. */
  tokenRefreshed: boolean;
}

/** Options of {@link startCallback}. */
export interface CallbackOptions {
  /** The callback endpoint, e.g. `https://cp.example/api/nodes/callback`: `https:`, or `http:` on a loopback host only. */
  url: string;
  nodeId: string;
  /** The token to send now (read before every post). */
  token: () => string;
  /** Keeps a refreshed token (persist it first; throw to keep using the old one, which the hub still accepts). */
  setToken: (token: string) => void;
  /** Between successful posts (the control plane may change it in its reply). */
  intervalMs: number;
  /** The report of one callback. */
  payload: () => Promise<CallbackPayload>;
  logger: Logger;
  /** Timers (default the system clock). */
  clock?: Clock;
  /** HTTP client (default the global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Deadline of one post, reply included (default 10 000 ms). */
  deadlineMs?: number;
  /** First retry delay after a failure, doubled per failure in a row (default 1 000 ms). */
  initialBackoffMs?: number;
  /** Longest retry delay (default 300 000 ms, 5 min). */
  maxBackoffMs?: number;
  /** Jitter source in [0, 1): a retry waits between half and all of its backoff (default Math.random). */
  random?: () => number;
  /** Window in which repeats of one failure are only counted in the log (default 60 000 ms). */
  logWindowMs?: number;
  /** Called after every attempt, once the next one is scheduled. */
  onAttempt?: (attempt: CallbackAttempt) => void;
}

/** A running heartbeat. */
export interface CallbackLoop {
  /** Ends the loop: no further post, an in-flight one is aborted; resolves once it has settled. */
  stop(): Promise<void>;
}

/** Largest reply read from the control plane (a larger one is an `invalid_reply`). */
export const MAX_CALLBACK_REPLY_BYTES = 64 * 1024;

const TOKEN_RE = /^[\x21-\x7e]{16,512}$/;

/** The control plane's reply. */
export const CallbackReplySchema = z.object({
  ok: z.literal(true),
  nextIntervalMs: z.int().min(1000).max(86_400_000).optional(),
  callbackToken: z.string().regex(TOKEN_RE).optional(),
});

class ReplyError extends Error {
  constructor(
    readonly code: string,
    readonly status?: number,
  ) {
    super(code);
  }
}


function failureCode(err: unknown): string {
  if (err instanceof ReplyError) return err.code;
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return 'unreachable';
}

/**
 * Starts the heartbeat: posts at once, then every `intervalMs` after a success; after a
 * failure (no answer within the deadline, a refused connection, a non-2xx status, a reply
 * that is not the expected shape) it retries with exponential backoff and jitter, capped
 * at `maxBackoffMs`. Failures are logged once per kind and window with a count; the token
 * never. A refreshed token in the reply goes to `setToken` before the next post.
 *
 * @throws BosunError `invalid_argument` for a URL that is not https: (http: only on loopback) or a bad option
 */
export function startCallback(o: CallbackOptions): CallbackLoop {
  const target = new URL(o.url);
  if (target.protocol !== 'https:' && !(target.protocol === 'http:' && isLoopbackHost(target.hostname))) {
    throw BosunError.invalidArgument('the callback URL must be https: (http: only on a loopback host): the token would travel in clear', { url: target.origin });
  }
  if (!Number.isInteger(o.intervalMs) || o.intervalMs < 1) throw BosunError.invalidArgument('intervalMs must be a positive integer', { intervalMs: o.intervalMs });
  const clock = o.clock ?? systemClock;
  const doFetch = o.fetch ?? globalThis.fetch;
  const deadlineMs = o.deadlineMs ?? 10_000;
  const initialBackoffMs = o.initialBackoffMs ?? 1000;
  const maxBackoffMs = o.maxBackoffMs ?? 300_000;
  const random = o.random ?? Math.random;
  const throttle = new LogThrottle({ logger: o.logger, windowMs: o.logWindowMs ?? 60_000, clock });
  const stopping = new AbortController();
  let interval = o.intervalMs;
  let attempt = 0;
  let failures = 0;
  let everOk = false;
  let timer: unknown;
  let inflight: Promise<void> | undefined;

  const post = async (signal: AbortSignal): Promise<z.infer<typeof CallbackReplySchema> & { status: number }> => {
    const p = await o.payload();
    const res = await doFetch(target, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.token()}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ nodeId: o.nodeId, version: p.version, workspaces: p.workspaces, metrics: p.metrics, intervalMs: interval }),
      signal,
      redirect: 'error',
    });
    const text = await readBoundedText(res, MAX_CALLBACK_REPLY_BYTES);
    if (text === undefined) throw new ReplyError('invalid_reply', res.status);
    if (!res.ok) {
      let code = `http_${res.status}`;
      try {
        const c = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
        if (typeof c === 'string' && /^[a-z_]{1,40}$/.test(c)) code = c;
      } catch {
        /* not our error body: keep the status */
      }
      throw new ReplyError(code, res.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ReplyError('invalid_reply', res.status);
    }
    const parsed = CallbackReplySchema.safeParse(json);
    if (!parsed.success) throw new ReplyError('invalid_reply', res.status);
    return { ...parsed.data, status: res.status };
  };

  const once = async (): Promise<void> => {
    attempt += 1;
    let outcome: Omit<CallbackAttempt, 'nextInMs' | 'failures'>;
    try {
      const reply = await withDeadline('node callback', deadlineMs, post, { clock, signal: stopping.signal });
      let tokenRefreshed = false;
      if (reply.callbackToken !== undefined) {
        try {
          o.setToken(reply.callbackToken);
          tokenRefreshed = true;
          o.logger.info({ nodeId: o.nodeId }, 'node callback: took up a refreshed callback token');
        } catch (err) {
          // The control plane keeps accepting the old token until the new one is used.
          o.logger.warn({ nodeId: o.nodeId, err: (err as Error).message }, 'node callback: could not keep the refreshed token; still using the old one');
        }
      }
      if (reply.nextIntervalMs !== undefined) interval = reply.nextIntervalMs;
      if (failures > 0) o.logger.info({ nodeId: o.nodeId, failures }, 'node callback: the control plane answers again');
      else if (!everOk) o.logger.info({ nodeId: o.nodeId, intervalMs: interval }, 'node callback: the control plane answered');
      everOk = true;
      failures = 0;
      outcome = { attempt, ok: true, status: reply.status, tokenRefreshed };
    } catch (err) {
      if (stopping.signal.aborted) return;
      failures += 1;
      const code = failureCode(err);
      const status = err instanceof ReplyError ? err.status : undefined;
      const hint =
        status === 401 ? 'the control plane refused the callback token: register the node again and set CALLBACK_TOKEN' : status === 403 ? 'the callback token was issued for another NODE_ID' : undefined;
      throttle.warn(code, { nodeId: o.nodeId, url: target.origin, code, ...(status === undefined ? {} : { status }), ...(hint ? { hint } : {}) }, 'node callback failed');
      outcome = { attempt, ok: false, code, ...(status === undefined ? {} : { status }), tokenRefreshed: false };
    }
    if (stopping.signal.aborted) return;
    let nextInMs = interval;
    if (failures > 0) {
      const backoff = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(failures - 1, 30));
      nextInMs = Math.max(1, Math.round(backoff / 2 + (random() * backoff) / 2));
    }
    timer = clock.setTimeout(run, nextInMs);
    o.onAttempt?.({ ...outcome, failures, nextInMs });
  };

  const run = (): void => {
    timer = undefined;
    inflight = once().finally(() => {
      inflight = undefined;
    });
  };

  run();
  return {
    async stop() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await inflight?.catch(() => undefined);
      throttle.flush();
    },
  };
}

/** The workspaces with terminals alive, from the terminal service's `alive()` (a node agent's workspace is the terminal owner's tenant). */
export function activeWorkspaces(alive: readonly AliveTerminal[]): CallbackWorkspace[] {
  const counts = new Map<string, number>();
  for (const t of alive) counts.set(t.owner.tenant, (counts.get(t.owner.tenant) ?? 0) + 1);
  return [...counts].map(([workspaceId, terminals]) => ({ workspaceId, terminals })).sort((a, b) => a.workspaceId.localeCompare(b.workspaceId));
}

/** This host's figures from `node:os` (cheap: no child process). */
export function hostMetrics(): CallbackMetrics {
  return { cpuCount: cpus().length, loadAvg1: loadavg()[0] ?? 0, memoryTotal: totalmem(), memoryFree: freemem(), uptimeSec: Math.floor(uptime()) };
}

/** The callback token in use, and where a refreshed one goes. */
export interface CallbackTokenStore {
  get(): string;
  /** Writes the token 0600 (atomically), then uses it; throws, keeping the old one, when it cannot be written. */
  set(token: string): void;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * The callback token to use: the newest refresh kept in `path` (JSON, 0600) when it
 * descends from the configured `CALLBACK_TOKEN`, else the configured one (an operator who
 * registers the node again and sets a new token is not overridden by an old refresh). The
 * file records only a hash of the configured token.
 *
 * @throws InsecureFileError (`insecure_file`) when the file is a symlink or open to others
 */
export function callbackTokenStore(path: string, configured: string): CallbackTokenStore {
  const origin = sha256(configured);
  let current = configured;
  const text = readPrivateFileSync(path);
  if (text !== undefined) {
    try {
      const kept = JSON.parse(text) as { origin?: unknown; token?: unknown };
      if (kept.origin === origin && typeof kept.token === 'string' && TOKEN_RE.test(kept.token)) current = kept.token;
    } catch {
      /* unreadable: start again from the configured token */
    }
  }
  return {
    get: () => current,
    set(token) {
      writePrivateFileSync(path, `${JSON.stringify({ origin, token })}\n`);
      current = token;
    },
  };
}
