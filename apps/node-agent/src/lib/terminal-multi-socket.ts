import type { Logger } from '@bosun/logger';
import {
  NODE_AGENT_PROTOCOL_VERSION as V,
  BosunError,
  ProtocolError,
  decodeTerminalFrame,
  encodeTerminalFrame,
  errorToWire,
  nodeAgentProtocol,
  parseMessage,
  toErrorBody,
  type NodeAgentToViewerMessage,
  type Tab,
  type ViewerToNodeAgentMessage,
  SignalSchema,
} from '@bosun/protocol';
import type { ViewerMessage } from '@bosun/pty-manager';
import type { TerminalHandle, TerminalInfo } from '@bosun/terminal-service';
import { systemClock, type Clock } from '@bosun/util';
import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { inboundGate, keepAlive, TERMINAL_CLOSE } from './socket-limits.js';
import { openWorkspaceTerminal } from './workspace-terminal.js';
import type { TerminalSocketOptions } from './terminal-socket.js';

/** Options of {@link terminalMultiSocket}: those of the single socket, plus a session cap and a clock. */
export interface TerminalMultiSocketOptions extends TerminalSocketOptions {
  /** Sessions one socket may have attached (or being created) at once (default 32); more answer `busy`. */
  maxSessions?: number;
  /** `close` / `rename` requests one socket may have in flight (default 16); more answer `busy`. */
  maxInFlight?: number;
  /** Time for the rate limit and the ping timer (default: the system clock). */
  clock?: Clock;
}

/** A terminal as a `tabs` entry (name cut to 128 characters, the id when empty). */
export function toTab(t: TerminalInfo): Tab {
  return {
    id: t.terminalId,
    name: t.name.slice(0, 128) || t.terminalId,
    createdAt: new Date(t.createdAt).toISOString(),
    lastActivityAt: new Date(t.lastActivityAt).toISOString(),
    cols: t.cols,
    rows: t.rows,
    alive: t.status === 'alive',
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Outgoing = DistributiveOmit<NodeAgentToViewerMessage, 'v'>;
const CTX = { protocol: 'node-agent' } as const;

/**
 * `WebSocket /terminal/ws/multi`: many terminals of the token's workspace over one
 * socket. Every JSON frame is parsed with the node agent protocol (`toAgent`); a bad
 * one is answered with an `error` frame and the socket lives on.
 *
 * ```
 * viewer → agent, JSON:  create {id?, cols?, rows?, name?}      → created {id?, sessionId, offset, name}
 *                        attach {id?, sessionId, fromOffset?, readOnly?} → attached {id?, sessionId, offset, snapshot}
 *                        detach {sessionId}   resize {sessionId, cols, rows}   ack (ignored)
 *                        close {id?, sessionId, signal?}       → (exit to attached viewers) closed {id?, sessionId}
 *                        rename {id?, sessionId, name}         → renamed {id?, sessionId, name}
 *                        list                                  → tabs {tabs}
 * viewer → agent, binary: input frame  [2][idLen][sessionId][keystrokes]   (only sessions this socket attached)
 * agent → viewer, binary: output frame [1][idLen][sessionId][u64 offset][bytes]
 * agent → viewer, JSON:  exit {sessionId, code, signal?}, error {id?, code, message}
 * ```
 *
 * A snapshot (the asked offset has left the ring) is the first output frame after
 * `attached {snapshot: true}`, at the `attached` offset; live output follows from that
 * same offset. Replies to requests that wait (create, close, rename) may overtake later
 * replies: correlate them by `id`. Another workspace's session answers `not_found`,
 * exactly like a missing one. Limits as on `/terminal/ws` (1009 size, 1008 rate, 4008
 * unsent bytes, 1001 idle) plus {@link TerminalMultiSocketOptions.maxSessions}.
 */
export const terminalMultiSocket: FastifyPluginAsync<TerminalMultiSocketOptions> = async (app, o) => {
  const maxMessage = o.maxMessageBytes ?? 64 * 1024;
  const rate = o.maxMessagesPerSec ?? 1000;
  const maxBuffered = o.maxBufferedBytes ?? 4 * 1024 * 1024;
  const pingMs = o.pingIntervalMs ?? 30_000;
  const maxSessions = o.maxSessions ?? 32;
  const maxInFlight = o.maxInFlight ?? 16;
  const clock = o.clock ?? systemClock;
  const log: Logger = o.logger;

  app.get('/terminal/ws/multi', { websocket: true }, (socket: WebSocket, req) => {
    const open = () => socket.readyState === socket.OPEN;
    const send = (m: Outgoing): void => {
      if (open()) socket.send(JSON.stringify({ v: V, ...m }));
    };
    const sendError = (err: unknown, id?: string): void => {
      if (!open()) return;
      socket.send(JSON.stringify(err instanceof ProtocolError ? err.toWire() : errorToWire(err, V, id)));
    };
    const workspace = o.workspaceOf(req);
    if (!workspace) {
      sendError(new BosunError('unauthorized', 'no workspace'));
      return socket.close(TERMINAL_CLOSE.badRequest.code, TERMINAL_CLOSE.badRequest.reason);
    }
    const owner = { tenant: workspace };
    const sessions = new Map<string, TerminalHandle>();
    let creating = 0;
    let inFlight = 0;

    // Limits: message rate (token bucket, bursts of twice the rate) and ping / pong.
    const gate = inboundGate({ maxMessageBytes: maxMessage, maxMessagesPerSec: rate, clock });
    keepAlive(socket, { intervalMs: pingMs, clock });

    const sendBytes = (bytes: Uint8Array): void => {
      if (!open()) return;
      if (socket.bufferedAmount + bytes.byteLength > maxBuffered) return socket.close(TERMINAL_CLOSE.slow.code, TERMINAL_CLOSE.slow.reason);
      socket.send(bytes, { binary: true });
    };

    /**
     * Attaches this socket's viewer to `sessionId`. The replay (or snapshot) happens
     * inside the service's attach: it is held until `reply` (created / attached) has gone
     * out, so the viewer always learns the offset before the bytes.
     */
    const attachSession = (sessionId: string, fromOffset: number | undefined, readOnly: boolean, reply: (offset: number, snapshot: boolean) => void): void => {
      sessions.get(sessionId)?.detach();
      sessions.delete(sessionId);
      // Set once attached; a `dropped` from this viewer must not remove a newer one of the same session.
      const self: { handle?: TerminalHandle } = {};
      const deliver = (msg: ViewerMessage): void => {
        if (msg.type === 'data' || msg.type === 'snapshot') {
          sendBytes(encodeTerminalFrame({ terminalId: sessionId, offset: msg.offset, data: msg.data }, CTX));
        } else if (msg.type === 'exit') {
          send({ type: 'exit', sessionId, code: msg.exitCode, ...(typeof msg.signal === 'string' && SignalSchema.safeParse(msg.signal).success ? { signal: msg.signal } : {}) });
        } else if (msg.type === 'dropped') {
          if (self.handle && sessions.get(sessionId) === self.handle) sessions.delete(sessionId);
          // A socket too slow for one session is too slow for all of them.
          if (msg.reason !== 'session-removed') socket.close(TERMINAL_CLOSE.slow.code, msg.message.slice(0, 100));
        }
      };
      const { handle: h, start } = o.terminals.attach(owner, sessionId, {
        ...(fromOffset === undefined ? {} : { fromOffset }),
        readOnly,
        viewerId: `node-agent-multi-${sessionId}`,
        hold: true,
        onMessage: deliver,
      });
      self.handle = h;
      sessions.set(sessionId, h);
      reply(start.offset, start.kind === 'snapshot');
      h.release();
    };

    const attached = (sessionId: string | undefined): TerminalHandle => {
      const h = sessionId === undefined ? undefined : sessions.get(sessionId);
      if (!h) throw BosunError.notFound(`terminal ${String(sessionId).slice(0, 128)}`);
      return h;
    };

    const create = async (m: Extract<ViewerToNodeAgentMessage, { type: 'create' }>): Promise<void> => {
      if (sessions.size + creating >= maxSessions) throw BosunError.busy(`at most ${maxSessions} sessions per socket`);
      creating++;
      let info: TerminalInfo;
      try {
        info = await openWorkspaceTerminal(o.terminals, o.driver, workspace, { cols: m.cols ?? 80, rows: m.rows ?? 24, ...(m.name === undefined ? {} : { name: m.name }) });
      } finally {
        creating--;
      }
      // The socket went away while the terminal opened: it stays, listed in the tabs.
      if (!open()) return;
      const name = info.name.slice(0, 128) || info.terminalId;
      attachSession(info.terminalId, 0, false, (offset) => send({ type: 'created', ...(m.id === undefined ? {} : { id: m.id }), sessionId: info.terminalId, offset, name }));
    };

    const waited = (id: string | undefined, fn: () => Promise<void>): void => {
      if (inFlight >= maxInFlight) return sendError(BosunError.busy(`at most ${maxInFlight} requests in flight per socket`), id);
      inFlight++;
      fn()
        .catch((err: unknown) => {
          const body = toErrorBody(err);
          if (body.code === 'internal') log.warn({ workspace, err: body.message }, 'multi terminal socket request failed');
          sendError(err, id);
        })
        .finally(() => inFlight--);
    };

    const onControl = (m: ViewerToNodeAgentMessage): void => {
      const id = 'id' in m && typeof m.id === 'string' ? m.id : undefined;
      try {
        switch (m.type) {
          case 'create':
            return waited(id, () => create(m));
          case 'attach':
            if (!sessions.has(m.sessionId) && sessions.size + creating >= maxSessions) return sendError(BosunError.busy(`at most ${maxSessions} sessions per socket`), id);
            return attachSession(m.sessionId, m.fromOffset, m.readOnly ?? false, (offset, snapshot) =>
              send({ type: 'attached', ...(id === undefined ? {} : { id }), sessionId: m.sessionId, offset, snapshot }),
            );
          case 'detach':
            attached(m.sessionId).detach();
            sessions.delete(m.sessionId);
            return;
          case 'resize':
            if (m.sessionId === undefined) return sendError(ProtocolError.invalidField(['sessionId'], 'required on the multi-session socket', CTX));
            return attached(m.sessionId).resize(m.cols, m.rows);
          case 'ack':
            return;
          case 'close':
            return waited(id, async () => {
              await o.terminals.close(owner, m.sessionId, m.signal === undefined ? {} : { signal: m.signal });
              sessions.delete(m.sessionId);
              send({ type: 'closed', ...(id === undefined ? {} : { id }), sessionId: m.sessionId });
            });
          case 'rename':
            return waited(id, async () => {
              const info = await o.terminals.rename(owner, m.sessionId, m.name);
              send({ type: 'renamed', ...(id === undefined ? {} : { id }), sessionId: m.sessionId, name: info.name });
            });
          case 'list':
            return send({ type: 'tabs', tabs: o.terminals.list(owner).slice(0, 1000).map(toTab) });
          case 'error':
            log.debug({ workspace, code: m.code }, 'a viewer sent an error frame');
            return;
          default:
            return sendError(BosunError.unsupported(`${m.type} is not served on /terminal/ws/multi`), id);
        }
      } catch (err) {
        sendError(err, id);
      }
    };

    // Input frame: [2][idLen][sessionId][keystrokes]; only to sessions this socket attached.
    const onBinary = (data: Buffer): void => {
      const decoded = decodeTerminalFrame(data, CTX);
      if (!decoded.ok) return sendError(decoded.error);
      const f = decoded.frame;
      if (f.kind !== 'input') return sendError(ProtocolError.invalidFrame('viewers send input frames (kind 2)', CTX));
      try {
        attached(f.terminalId).write(f.data);
      } catch (err) {
        sendError(err);
      }
    };

    socket.on('message', (raw, isBinary) => {
      const verdict = gate(raw);
      if (!verdict.ok) return socket.close(verdict.close.code, verdict.close.reason);
      const data = verdict.data;
      if (isBinary) return onBinary(data);
      const parsed = parseMessage(nodeAgentProtocol, data, { direction: 'toAgent', maxBytes: maxMessage });
      if (!parsed.ok) return sendError(parsed.error);
      onControl(parsed.message);
    });
    socket.on('close', () => {
      for (const h of sessions.values()) h.detach();
      sessions.clear();
    });
  });
};
