import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BosunError, LogListBodySchema, NODE_AGENT_PROTOCOL_VERSION as V, type LogEntry, type LogLevel, type LogListBody } from '@bosun/protocol';
import type { Logger } from '@bosun/logger';
import { withDeadline } from '@bosun/util';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { keepAlive } from './socket-limits.js';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const PINO_LEVEL: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
// journald priorities (0 emerg … 7 debug) as the nearest level.
const JOURNAL_LEVEL: LogLevel[] = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];
const JOURNAL_PRIORITY: Record<LogLevel, number> = { trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2 };

/** A query of {@link readLogs}. */
export interface LogQuery {
  /** Lowest level returned (default: all). */
  level?: LogLevel;
  /** Epoch ms; entries at or after it. */
  since?: number;
  /** Epoch ms; entries before it. */
  until?: number;
  /** Only entries of this unit (the app's name for its own files; a systemd unit for the journal). */
  unit?: string;
  /** Entries per page. */
  limit: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** One pino JSON line as a log entry; undefined when it is not one. */
export function entryOfPinoLine(line: string): LogEntry | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof e !== 'object' || e === null || typeof e['time'] !== 'number') return undefined;
  const { level, time, msg, name, pid: _pid, hostname: _host, ...fields } = e;
  return {
    ts: new Date(time as number).toISOString(),
    level: PINO_LEVEL[level as number] ?? 'info',
    source: typeof name === 'string' && name ? name.slice(0, 128) : 'node-agent',
    message: String(msg ?? '').slice(0, 65_536),
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
  };
}

function matches(e: LogEntry, q: LogQuery): boolean {
  if (q.level && LEVELS.indexOf(e.level) < LEVELS.indexOf(q.level)) return false;
  const t = Date.parse(e.ts);
  if (q.since !== undefined && t < q.since) return false;
  if (q.until !== undefined && t >= q.until) return false;
  if (q.unit && e.source !== q.unit) return false;
  return true;
}

/**
 * Reads the agent's own log files (`files` newest first: `agent.log`, `agent.log.1`, …),
 * newest entries first, one page at a time. The cursor names the file and line where the
 * next page starts; a cursor that no longer fits (the files rotated) restarts at the
 * newest entry rather than failing.
 */
export function readOwnLogs(files: readonly string[], q: LogQuery): LogListBody {
  let [fileIx, lineIx] = parseCursor(q.cursor);
  const entries: LogEntry[] = [];
  for (; fileIx < files.length; fileIx++, lineIx = -1) {
    let lines: string[];
    try {
      lines = readFileSync(files[fileIx] as string, 'utf8').split('\n');
    } catch {
      continue;
    }
    let i = lineIx < 0 || lineIx >= lines.length ? lines.length - 1 : lineIx;
    for (; i >= 0; i--) {
      const e = entryOfPinoLine(lines[i] as string);
      if (!e || !matches(e, q)) continue;
      if (entries.length === q.limit) return { entries, next: `${fileIx}:${i}` };
      entries.push(e);
    }
  }
  return { entries };
}

function parseCursor(cursor: string | undefined): [number, number] {
  const m = /^(\d{1,3}):(\d{1,9})$/.exec(cursor ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, -1];
}

/** Runs journalctl; injected in tests. */
export type JournalRunner = (args: string[], timeoutMs: number) => Promise<string>;

/** The real journalctl, killed at its deadline. */
export const runJournalctl: JournalRunner = (args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile('journalctl', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });

/**
 * Reads the systemd journal with `journalctl -o json` (newest first), one page at a
 * time (`--cursor` paging), within `timeoutMs`.
 * @throws BosunError `timeout` when journalctl overruns, `log_unavailable` when it fails
 */
export async function readJournal(q: LogQuery, timeoutMs: number, run: JournalRunner = runJournalctl): Promise<LogListBody> {
  const args = ['-o', 'json', '--no-pager', '-r', '-n', String(q.limit + 1)];
  if (q.unit) args.push('-u', q.unit);
  if (q.level) args.push('-p', String(JOURNAL_PRIORITY[q.level]));
  if (q.since !== undefined) args.push('--since', `@${Math.floor(q.since / 1000)}`);
  if (q.until !== undefined) args.push('--until', `@${Math.floor(q.until / 1000)}`);
  if (q.cursor) args.push('--cursor', q.cursor);
  let out: string;
  try {
    out = await withDeadline('journalctl', timeoutMs + 1000, () => run(args, timeoutMs));
  } catch (err) {
    if ((err as { code?: string }).code === 'timeout' || (err as { killed?: boolean }).killed) throw BosunError.timeout('journalctl', timeoutMs);
    throw new BosunError('log_unavailable', `journalctl failed: ${(err as Error).message.split('\n')[0]?.slice(0, 200) ?? ''}`);
  }
  const entries: LogEntry[] = [];
  let next: string | undefined;
  for (const line of out.split('\n')) {
    if (!line) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (entries.length === q.limit) {
      if (typeof j['__CURSOR'] === 'string') next = j['__CURSOR'];
      break;
    }
    const us = Number(j['__REALTIME_TIMESTAMP']);
    const message = Array.isArray(j['MESSAGE']) ? Buffer.from(j['MESSAGE'] as number[]).toString('utf8') : String(j['MESSAGE'] ?? '');
    entries.push({
      ts: new Date(Number.isFinite(us) ? us / 1000 : 0).toISOString(),
      level: JOURNAL_LEVEL[Number(j['PRIORITY'] ?? 6)] ?? 'info',
      source: String(j['_SYSTEMD_UNIT'] ?? j['SYSLOG_IDENTIFIER'] ?? 'journal').slice(0, 128),
      message: message.slice(0, 65_536),
    });
  }
  return { entries, ...(next ? { next } : {}) };
}

/** Options of {@link logRoutes}. */
export interface LogRoutesOptions {
  /** The agent's own log files, newest first. */
  files: readonly string[];
  /** Read the journal (journalctl present and the agent runs under systemd, or asked with `source=journal`). */
  journal: boolean;
  /** Authorises a request (a `node-management` token of this node); answers the refusal itself and returns false. */
  authorize: (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
  /** The app's own recent lines and live ones (`AppContext.logTap`). */
  tap: { recent(n?: number): string[]; subscribe(fn: (line: string) => void): () => void };
  logger: Logger;
  /** `LOG_RETRIEVAL_DEFAULT_LIMIT` (200) and `LOG_RETRIEVAL_MAX_LIMIT` (1000). */
  defaultLimit?: number;
  maxLimit?: number;
  /** `LOG_READER_TIMEOUT` (30 000 ms). */
  readerTimeoutMs?: number;
  /** `LOG_STREAM_BUFFER_SIZE` (100), `LOG_STREAM_PING_INTERVAL` (30 000 ms), `LOG_STREAM_PONG_TIMEOUT` (90 000 ms). */
  streamBufferSize?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** Unsent bytes a stream socket may hold before it is closed with 4008 (default 1 MiB). */
  maxBufferedBytes?: number;
  journalRunner?: JournalRunner;
}

/**
 * `GET /logs` (paged: `limit`, `cursor`; filters `level`, `since`, `until` (ISO time or
 * epoch ms), `unit`, `source=journal|own`) and `WebSocket /logs/stream` (the last
 * `LOG_STREAM_BUFFER_SIZE` entries, then live `log` frames; ping every interval, closed
 * 1001 when no pong comes within the pong timeout, 4008 when it stops reading). Both
 * need a `node-management` token.
 */
export const logRoutes: FastifyPluginAsync<LogRoutesOptions> = async (app, o) => {
  const maxLimit = o.maxLimit ?? 1000;
  const defaultLimit = Math.min(o.defaultLimit ?? 200, maxLimit);
  const time = z.union([z.coerce.number().int().min(0), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);
  const Query = z.object({
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
    cursor: z.string().max(512).optional(),
    level: z.enum(LEVELS as [LogLevel, ...LogLevel[]]).optional(),
    since: time.optional(),
    until: time.optional(),
    unit: z.string().regex(/^[A-Za-z0-9@._:-]{1,128}$/).optional(),
    source: z.enum(['journal', 'own']).optional(),
    token: z.string().optional(),
  });

  app.get('/logs', async (req, reply) => {
    if (!(await o.authorize(req, reply))) return reply;
    const q = Query.safeParse(req.query);
    if (!q.success) {
      const issue = q.error.issues[0];
      return reply.code(400).send({ error: { code: 'invalid_field', message: issue?.message ?? 'bad query', path: issue?.path.map(String) ?? [] } });
    }
    const { source, token: _t, ...query } = q.data;
    const useJournal = source === 'journal' || (source === undefined && o.journal);
    const body = useJournal ? await readJournal(query, o.readerTimeoutMs ?? 30_000, o.journalRunner) : readOwnLogs(o.files, query);
    return LogListBodySchema.parse(body);
  });

  // Checked before the upgrade: a refused token is a plain 401/403 answer.
  const preValidation = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!(await o.authorize(req, reply))) return reply;
    return undefined;
  };
  app.get('/logs/stream', { websocket: true, preValidation }, (socket: WebSocket) => {
    const maxBuffered = o.maxBufferedBytes ?? 1024 * 1024;
    const send = (line: string) => {
      const e = entryOfPinoLine(line);
      if (!e || socket.readyState !== socket.OPEN) return;
      const frame = JSON.stringify({ v: V, type: 'log', ...e });
      if (socket.bufferedAmount + frame.length > maxBuffered) return socket.close(4008, 'slow reader');
      socket.send(frame);
    };
    for (const line of o.tap.recent(o.streamBufferSize ?? 100)) send(line);
    const stop = o.tap.subscribe(send);
    // Closed once a pong (or any message) has been missing for the pong timeout.
    const interval = o.pingIntervalMs ?? 30_000;
    const alive = keepAlive(socket, { intervalMs: interval, maxMissed: Math.max(1, Math.ceil((o.pongTimeoutMs ?? 90_000) / interval)) });
    // The stream is one way: anything the client sends is ignored, but counts as being alive.
    socket.on('message', alive.seen);
    socket.on('close', stop);
  });
};
