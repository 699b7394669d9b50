/**
 * @bosun/peer: one transport seam for every app. Frame streams over WebSocket, SSH
 * channels (any byte Duplex) and memory; a {@link Peer} on top parses every inbound
 * message at the edge, answers bad ones with typed errors, correlates requests with
 * deadlines and bounds in-flight requests and queued bytes.
 */
export {
  CLOSE_CODES,
  DEFAULT_MAX_FRAME_BYTES,
  type CloseHandler,
  type Frame,
  type FrameHandler,
  type FrameKind,
  type FrameStream,
} from './lib/frame-stream.js';
export { createMemoryFramePair, MemoryFrameStream, type MemoryFramePairOptions } from './lib/memory-frame-stream.js';
export {
  rawDataToBytes,
  truncateUtf8,
  WebSocketFrameStream,
  webSocketOptions,
  webSocketClientOptions,
  canSkipMasking,
  type WebSocketFrameStreamOptions,
} from './lib/websocket-frame-stream.js';
export { DuplexFrameStream, type DuplexFrameStreamOptions } from './lib/duplex-frame-stream.js';
export {
  encodeCloseFrame,
  encodeStreamFrame,
  StreamFrameDecoder,
  STREAM_FRAME_HEADER_BYTES,
  STREAM_FRAME_KIND,
  type DecodedItem,
  type FramingError,
} from './lib/stream-framing.js';
export { DEFAULT_PEER_LIMITS, resolvePeerLimits, type PeerLimits } from './lib/peer-limits.js';
export {
  Peer,
  RemoteError,
  type InboundMessage,
  type OutboundMessage,
  type PeerOptions,
  type ReplyMessage,
  type ReplyTo,
  type RequestContext,
  type RequestHandler,
  type RequestMessage,
  type RequestOptions,
} from './lib/peer.js';
