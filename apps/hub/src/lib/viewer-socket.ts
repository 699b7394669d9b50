import { VIEWER_CLOSE, VIEWER_PROTOCOL_VERSION, type HubToViewerBody } from '@bosun/protocol';
import { systemClock, type Clock } from '@bosun/util';
import WebSocket from 'ws';
import type { RelayClient } from './terminal-relay.js';
import { closeWithin } from './worker-registry.js';

/** Options of {@link ViewerSocket}. */
export interface ViewerSocketOptions {
  /** Offset the viewer starts at. */
  pos: number;
  /**
   * Most bytes this viewer's socket may hold unsent (ws `bufferedAmount`) (default
   * 4 MiB). A send that would pass it drops the viewer with 4008 `slow viewer`.
   */
  maxBufferedBytes?: number;
  /** How long a dropped viewer may take to finish the close handshake before its socket is destroyed (default 1 000 ms). */
  closeGraceMs?: number;
  /** Called once when the viewer is closed by the hub (to leave the relay). */
  onClosed: (self: ViewerSocket) => void;
  clock?: Clock;
}

/**
 * One viewer socket of `/ws/terminal` as the relay's client: control frames get the
 * viewer protocol's `v`, output goes out as raw binary frames, and nothing is queued past
 * `maxBufferedBytes`: a viewer that stops reading is told (`dropped`, then close 4008
 * `slow viewer`) and its socket destroyed after the close grace, so the memory goes with
 * it. It reconnects at its offset and loses nothing the worker still holds.
 */
export class ViewerSocket implements RelayClient {
  pos: number;
  attached = false;
  private closed = false;
  private readonly maxBufferedBytes: number;
  private readonly closeGraceMs: number;
  private readonly clock: Clock;

  constructor(
    readonly ws: WebSocket,
    private readonly o: ViewerSocketOptions,
  ) {
    this.pos = o.pos;
    this.maxBufferedBytes = o.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.closeGraceMs = o.closeGraceMs ?? 1000;
    this.clock = o.clock ?? systemClock;
  }

  /** True once the hub closed this viewer (or its socket closed). */
  get isClosed(): boolean {
    return this.closed || this.ws.readyState !== WebSocket.OPEN;
  }

  private fits(bytes: number): boolean {
    if (this.ws.bufferedAmount + bytes <= this.maxBufferedBytes) return true;
    this.drop();
    return false;
  }

  sendBytes(data: Uint8Array): void {
    if (this.isClosed) {
      this.attached = false;
      return;
    }
    if (!this.fits(data.byteLength)) return;
    this.ws.send(data, { binary: true });
  }

  sendControl(msg: HubToViewerBody): void {
    if (this.isClosed) return;
    const text = JSON.stringify({ v: VIEWER_PROTOCOL_VERSION, ...msg });
    if (!this.fits(Buffer.byteLength(text))) return;
    this.ws.send(text);
  }

  refuse(code: string, message: string): void {
    this.sendControl({ type: 'error', code, message: message.slice(0, 4096) });
    this.close(VIEWER_CLOSE.refused);
  }

  revoked(): void {
    this.sendControl({ type: 'dropped', code: 'revoked', offset: this.pos, message: 'the worker was revoked' });
    this.close(VIEWER_CLOSE.revoked);
  }

  /** Closes with `close` (code + reason), destroying the socket after the grace. */
  close(close: { code: number; reason: string }): void {
    if (this.closed) return;
    this.closed = true;
    this.attached = false;
    this.o.onClosed(this);
    closeWithin(this.ws, close.code, close.reason, this.closeGraceMs, this.clock);
  }

  private drop(): void {
    if (this.closed) return;
    // Queued behind what the viewer has not read: it arrives only if the viewer reads again within the grace.
    const notice = JSON.stringify({
      v: VIEWER_PROTOCOL_VERSION,
      type: 'dropped',
      code: 'slow_consumer',
      offset: this.pos,
      message: `more than ${this.maxBufferedBytes} bytes unread; reconnect at offset ${this.pos}`,
    });
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(notice);
    this.close(VIEWER_CLOSE.slowViewer);
  }
}
