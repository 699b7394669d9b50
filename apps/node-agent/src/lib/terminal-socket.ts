import type { ContainerDriver } from '@bosun/container-driver';
import type { Logger } from '@bosun/logger';
import { NODE_AGENT_PROTOCOL_VERSION as V, BosunError, nodeAgentProtocol, parseMessage, SignalSchema, toErrorBody, type NodeAgentToViewerMessage } from '@bosun/protocol';
import type { TerminalHandle, TerminalService } from '@bosun/terminal-service';
import type { ViewerMessage } from '@bosun/pty-manager';
import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { inboundGate, keepAlive, TERMINAL_CLOSE } from './socket-limits.js';
import { openWorkspaceTerminal } from './workspace-terminal.js';

export { TERMINAL_CLOSE } from './socket-limits.js';

/** Options of {@link terminalSocket}. */
export interface TerminalSocketOptions {
  terminals: TerminalService;
  /** Finds the workspace's container; with none, a host shell when the service allows it. */
  driver: Pick<ContainerDriver, 'list'>;
  /** The token's workspace, set by the route's auth hook. */
  workspaceOf: (req: { raw: unknown }) => string | undefined;
  logger: Logger;
  /** Largest message a viewer may send, bytes (default 64 KiB; the ws server's maxPayload must not be lower). */
  maxMessageBytes?: number;
  /** Messages per second a socket may send on average (default 1000; bursts of twice that). */
  maxMessagesPerSec?: number;
  /** Unsent bytes a socket may hold before the viewer is dropped with 4008 (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Ping interval, ms (default 30 000); a socket that has not answered the last ping by the next one is closed 1001. */
  pingIntervalMs?: number;
}

const Query = z.object({
  session: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/).optional(),
  offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  cols: z.coerce.number().int().min(2).max(1000).default(80),
  rows: z.coerce.number().int().min(1).max(500).default(24),
  token: z.string().optional(),
});

/**
 * `WebSocket /terminal/ws`: one terminal in the token's workspace. Without `session` a
 * new terminal opens in the workspace's running container (or, on the process driver, a
 * host shell); with `session` (and `offset`) the viewer reattaches and gets the exact
 * bytes after its offset, or a snapshot of the screen when they have left the buffer.
 * First frame: JSON `attached {sessionId, offset, snapshot}`; then output as raw binary
 * frames, `exit` as JSON. Viewer → agent: binary = keystrokes, JSON `resize` / `detach`.
 * Limits: message size (1009), message rate (1008), unsent bytes (4008), idle (ping /
 * pong, 1001).
 */
export const terminalSocket: FastifyPluginAsync<TerminalSocketOptions> = async (app, o) => {
  const maxMessage = o.maxMessageBytes ?? 64 * 1024;
  const rate = o.maxMessagesPerSec ?? 1000;
  const maxBuffered = o.maxBufferedBytes ?? 4 * 1024 * 1024;
  const pingMs = o.pingIntervalMs ?? 30_000;

  app.get('/terminal/ws', { websocket: true }, async (socket: WebSocket, req) => {
    const send = (m: Omit<NodeAgentToViewerMessage, 'v'>) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ v: V, ...m }));
    };
    const fail = (err: unknown, close: { code: number; reason: string }) => {
      send({ type: 'error', ...toErrorBody(err) } as Omit<NodeAgentToViewerMessage, 'v'>);
      socket.close(close.code, close.reason);
    };
    const workspace = o.workspaceOf(req);
    if (!workspace) return fail(new BosunError('unauthorized', 'no workspace'), TERMINAL_CLOSE.badRequest);
    const q = Query.safeParse(req.query);
    if (!q.success) return fail(BosunError.invalidArgument(q.error.issues[0]?.message ?? 'bad query'), TERMINAL_CLOSE.badRequest);
    const owner = { tenant: workspace };

    // Everything the viewer sends before the attach is held (bounded), so no keystroke is lost.
    let handle: TerminalHandle | undefined;
    let sessionId = q.data.session;
    const early: { data: Buffer; binary: boolean }[] = [];
    const gate = inboundGate({ maxMessageBytes: maxMessage, maxMessagesPerSec: rate });
    keepAlive(socket, { intervalMs: pingMs });

    const onFrame = (data: Buffer, binary: boolean) => {
      if (!handle || !sessionId) return;
      try {
        if (binary) return handle.write(data);
        const parsed = parseMessage(nodeAgentProtocol, data, { direction: 'toAgent', maxBytes: maxMessage });
        if (!parsed.ok) return socket.send(JSON.stringify(parsed.error.toWire()));
        const m = parsed.message;
        if (m.type === 'resize') handle.resize(m.cols, m.rows);
        else if (m.type === 'detach') socket.close(1000, 'detached');
        else if (m.type !== 'ack') send({ type: 'error', code: 'unsupported', message: `${m.type} is not served on /terminal/ws` } as Omit<NodeAgentToViewerMessage, 'v'>);
      } catch (err) {
        send({ type: 'error', ...toErrorBody(err) } as Omit<NodeAgentToViewerMessage, 'v'>);
      }
    };
    socket.on('message', (raw, isBinary) => {
      const verdict = gate(raw);
      if (!verdict.ok) return socket.close(verdict.close.code, verdict.close.reason);
      const data = verdict.data;
      if (!handle) {
        if (early.length >= 256) return socket.close(TERMINAL_CLOSE.policy.code, 'too much before attach');
        return void early.push({ data, binary: isBinary });
      }
      onFrame(data, isBinary);
    });
    socket.on('close', () => {
      handle?.detach();
    });

    try {
      if (!sessionId) {
        sessionId = (await openWorkspaceTerminal(o.terminals, o.driver, workspace, { cols: q.data.cols, rows: q.data.rows })).terminalId;
      }
      if (socket.readyState !== socket.OPEN) return;
      const deliver = (msg: ViewerMessage): void => {
        if (msg.type === 'data' || msg.type === 'snapshot') {
          if (socket.bufferedAmount + msg.data.length > maxBuffered) return socket.close(TERMINAL_CLOSE.slow.code, TERMINAL_CLOSE.slow.reason);
          socket.send(msg.data, { binary: true });
        } else if (msg.type === 'exit') {
          send({ type: 'exit', sessionId, code: msg.exitCode, ...(typeof msg.signal === 'string' && SignalSchema.safeParse(msg.signal).success ? { signal: msg.signal } : {}) } as Omit<NodeAgentToViewerMessage, 'v'>);
        } else if (msg.type === 'dropped' && msg.reason !== 'session-removed') {
          socket.close(TERMINAL_CLOSE.slow.code, msg.message.slice(0, 100));
        }
      };
      const { handle: h, start } = o.terminals.attach(owner, sessionId, {
        ...(q.data.offset === undefined ? { fromOffset: 0 } : { fromOffset: q.data.offset }),
        viewerId: `node-agent-${sessionId}`,
        // The replay happens inside attach: held until `attached` has gone out.
        hold: true,
        onMessage: deliver,
      });
      send({ type: 'attached', sessionId, offset: start.offset, snapshot: start.kind === 'snapshot' } as Omit<NodeAgentToViewerMessage, 'v'>);
      h.release();
      handle = h;
      for (const f of early.splice(0)) onFrame(f.data, f.binary);
    } catch (err) {
      const body = toErrorBody(err);
      o.logger.warn({ workspace, code: body.code }, 'terminal socket refused');
      fail(err, body.code === 'not_found' || body.code === 'forbidden' ? TERMINAL_CLOSE.refused : { code: 1011, reason: 'open failed' });
    }
  });
};
