/**
 * `/ws/terminal`: a viewer's terminal socket (subprotocols `bosun.v1` and
 * `bearer.<admin token>`), speaking the viewer protocol of @bosun/protocol.
 *
 * Query: `worker`, `tenant`, and either `terminal` (+ `offset` to resume at) or
 * `container` (open a new terminal, with `cols`/`rows`). Frames:
 *
 * ```
 * hub → viewer  text: terminal, attached, snapshot, resync, exit, waiting, dropped, error
 *               binary: output bytes, contiguous from the last offset told
 * viewer → hub  text: input {data}, resize {cols, rows}
 *               binary: input bytes (split into ≤ 64 KiB frames towards the worker)
 * ```
 *
 * Input is refused (`conflict`) until `attached`; an attach the worker refuses (another
 * tenant's terminal is `not_found`) sends the error and closes 4004.
 */
import {
  BosunError,
  parseMessage,
  toErrorBody,
  viewerProtocol,
  VIEWER_CLOSE,
  VIEWER_PROTOCOL_VERSION,
  WORKER_PROTOCOL_VERSION as V,
} from '@bosun/protocol';
import type { Logger } from '@bosun/logger';
import type { Clock } from '@bosun/util';
import type { FastifyPluginAsync } from 'fastify';
import type WebSocket from 'ws';
import { z } from 'zod';
import type { TerminalRelay } from '../terminal-relay.js';
import { ViewerSocket } from '../viewer-socket.js';
import type { WorkerRegistry } from '../worker-registry.js';
import { rawDataToBytes } from '@bosun/peer';
import { adminAuth } from './auth.js';

/** Options of {@link terminalSocket}. */
export interface TerminalSocketOptions {
  adminToken: string;
  registry: WorkerRegistry;
  relay: TerminalRelay;
  logger: Logger;
  /** Largest frame a viewer may send, bytes (default 4 MiB); bigger closes the socket with 1009. */
  maxViewerMessageBytes?: number;
  /** Most bytes one viewer's socket may hold unsent before it is dropped with 4008 (default 4 MiB). */
  maxViewerBufferedBytes?: number;
  /** Close grace of a dropped viewer before its socket is destroyed (default 1 000 ms). */
  closeGraceMs?: number;
  clock?: Clock;
}

const Id = z.string().min(1).max(128);
const TerminalQuery = z.object({
  worker: Id,
  tenant: Id,
  terminal: Id.optional(),
  container: Id.optional(),
  /** `1`: a shell on the worker host itself (the worker refuses unless it allows host shells). */
  host: z.enum(['1', 'true']).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  cols: z.coerce.number().int().min(1).max(1000).default(80),
  rows: z.coerce.number().int().min(1).max(1000).default(24),
});

const REFUSED = new Set(['not_found', 'forbidden', 'invalid_field', 'invalid_argument']);

/** The viewer socket route. Needs @fastify/websocket registered on the root with a maxPayload of at least `maxViewerMessageBytes`. */
export const terminalSocket: FastifyPluginAsync<TerminalSocketOptions> = async (app, o) => {
  const maxMessage = o.maxViewerMessageBytes ?? 4 * 1024 * 1024;
  await app.register(adminAuth, { adminToken: o.adminToken, logger: o.logger, from: 'subprotocol', refusal: 'refused terminal connection: bad or missing token' });

  app.get('/ws/terminal', { websocket: true }, async (socket: WebSocket, req) => {
    const send = (msg: Record<string, unknown>) => socket.send(JSON.stringify({ v: VIEWER_PROTOCOL_VERSION, ...msg }));
    const q = TerminalQuery.safeParse(req.query);
    if (!q.success) {
      const issue = q.error.issues[0];
      send({ type: 'error', code: 'invalid_field', message: issue?.message ?? 'bad query', details: { path: issue?.path.map(String) ?? [] } });
      return socket.close(VIEWER_CLOSE.badRequest.code, VIEWER_CLOSE.badRequest.reason);
    }
    const { worker, tenant, container, cols, rows } = q.data;
    const picks = [q.data.terminal, container, q.data.host].filter((x) => x !== undefined).length;
    if (picks !== 1) {
      send({ type: 'error', code: 'invalid_field', message: 'give exactly one of terminal, container or host=1', details: { path: ['terminal'] } });
      return socket.close(VIEWER_CLOSE.badRequest.code, VIEWER_CLOSE.badRequest.reason);
    }
    const viewer: { client?: ViewerSocket } = {};
    let terminalId = q.data.terminal;

    // Installed at once so no early frame is lost, but nothing reaches the worker before the attach succeeded.
    socket.on('message', (data, isBinary) => {
      const client = viewer.client;
      const bytes = rawDataToBytes(data);
      if (bytes.byteLength > maxMessage) {
        send({ type: 'error', code: 'too_large', message: `frame of ${bytes.byteLength} bytes; the limit is ${maxMessage}` });
        return client ? client.close(VIEWER_CLOSE.tooLarge) : socket.close(VIEWER_CLOSE.tooLarge.code, VIEWER_CLOSE.tooLarge.reason);
      }
      let input: Uint8Array;
      if (isBinary) input = bytes;
      else {
        const parsed = parseMessage(viewerProtocol, bytes, { direction: 'toHub', maxBytes: maxMessage });
        if (!parsed.ok) return socket.send(JSON.stringify(parsed.error.toWire()));
        const msg = parsed.message;
        if (msg.type === 'resize') {
          if (!client?.attached || !terminalId) return send({ type: 'error', code: 'conflict', message: 'not attached yet' });
          void o.registry
            .request(worker, { v: V, type: 'terminal.resize', id: o.registry.nextId(), tenant, terminalId, cols: msg.cols, rows: msg.rows })
            .then((r) => (r.type === 'error' ? send({ type: 'error', code: r.code, message: r.message }) : undefined))
            .catch((err: unknown) => send({ type: 'error', ...toErrorBody(err) }));
          return;
        }
        input = Buffer.from(msg.data, 'utf8');
      }
      if (!client?.attached || !terminalId) return send({ type: 'error', code: 'conflict', message: 'input refused: not attached yet' });
      try {
        o.registry.sendInput(worker, terminalId, input);
      } catch (err) {
        send({ type: 'error', ...toErrorBody(err) });
      }
    });

    let pos = q.data.offset ?? 0;
    if (!terminalId) {
      try {
        const r = await o.registry.request(worker, { v: V, type: 'terminal.open', id: o.registry.nextId(), tenant, ...(container ? { containerId: container } : {}), cols, rows });
        if (r.type === 'error') throw new BosunError(REFUSED.has(r.code) ? (r.code as 'not_found') : 'internal', r.message);
        if (r.type !== 'terminal.open.result') throw new BosunError('internal', `unexpected reply ${r.type}`);
        terminalId = r.terminalId;
        pos = r.offset;
      } catch (err) {
        const body = toErrorBody(err);
        send({ type: 'error', ...body });
        const close = REFUSED.has(body.code) ? VIEWER_CLOSE.refused : VIEWER_CLOSE.openFailed;
        return socket.close(close.code, close.reason);
      }
    }
    if (socket.readyState !== socket.OPEN) return;
    const tid = terminalId;
    const c = new ViewerSocket(socket, {
      pos,
      ...(o.maxViewerBufferedBytes === undefined ? {} : { maxBufferedBytes: o.maxViewerBufferedBytes }),
      ...(o.closeGraceMs === undefined ? {} : { closeGraceMs: o.closeGraceMs }),
      ...(o.clock ? { clock: o.clock } : {}),
      onClosed: (self) => o.relay.leave(self),
    });
    viewer.client = c;
    socket.on('close', () => o.relay.leave(c));
    c.sendControl({ type: 'terminal', terminalId: tid, offset: pos });
    await o.relay.join(worker, tenant, tid, c);
  });
};
