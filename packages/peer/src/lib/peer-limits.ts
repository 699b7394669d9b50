/**
 * Every bound a {@link Peer} enforces, with its default, validated once and frozen.
 * Memory per connection is bounded by these numbers, never by what the far side does.
 */
import { BosunError, DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_BYTES } from '@bosun/protocol';

/** The limits of one {@link Peer}. */
export interface PeerLimits {
  /**
   * Largest inbound JSON message (default {@link DEFAULT_MAX_MESSAGE_BYTES}, 1 MiB, or
   * the stream's `maxFrameBytes` when that is smaller). Bigger text frames that the
   * stream still accepts are answered `too_large` and the link lives; it must not be
   * above the stream's `maxFrameBytes`.
   */
  readonly maxMessageBytes: number;
  /** Deepest nesting of an inbound message (default {@link DEFAULT_MAX_DEPTH}, 32). */
  readonly maxDepth: number;
  /**
   * Largest frame the far side accepts (default: this stream's `maxFrameBytes`, as
   * limits hold the same at both ends). Bigger outbound frames are refused with
   * `too_large` and never sent.
   */
  readonly remoteMaxFrameBytes: number;
  /** Requests this side may have in flight; past it `request` rejects `busy` at once (default 64). */
  readonly maxOutboundInFlight: number;
  /** Inbound requests running at once; past it they are answered `busy` at once (default 64). */
  readonly maxInboundInFlight: number;
  /**
   * Bytes queued on the stream past which `send` throws and `sendBinary` rejects with
   * `slow_consumer` (default 4 MiB). A side's queue never exceeds this plus one frame.
   */
  readonly highWaterMark: number;
  /** `sendBinary` resolves once the stream's queue is at or below this (default 256 KiB). */
  readonly lowWaterMark: number;
  /** Deadline of a `request` that names none (default 30 000 ms). */
  readonly requestTimeoutMs: number;
  /** Window in which repeats of one warning are only counted (default 10 000 ms). */
  readonly logWindowMs: number;
}

/** The defaults of {@link PeerLimits}, except the two that follow the stream's frame limit. */
export const DEFAULT_PEER_LIMITS = Object.freeze({
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxOutboundInFlight: 64,
  maxInboundInFlight: 64,
  highWaterMark: 4 * 1024 * 1024,
  lowWaterMark: 256 * 1024,
  requestTimeoutMs: 30_000,
  logWindowMs: 10_000,
});

function positiveInt(name: keyof PeerLimits, value: number, min = 1): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw BosunError.invalidArgument(`peer limit ${name} must be an integer >= ${min}, got ${String(value)}`, { option: name });
  }
  return value;
}

/**
 * Fills in defaults for a stream that accepts frames up to `streamMaxFrameBytes`,
 * checks every value and returns them frozen. Throws `invalid_argument` naming the
 * bad option.
 */
export function resolvePeerLimits(given: Partial<PeerLimits>, streamMaxFrameBytes: number): PeerLimits {
  const l = {
    maxMessageBytes: given.maxMessageBytes ?? Math.min(DEFAULT_PEER_LIMITS.maxMessageBytes, streamMaxFrameBytes),
    maxDepth: given.maxDepth ?? DEFAULT_PEER_LIMITS.maxDepth,
    remoteMaxFrameBytes: given.remoteMaxFrameBytes ?? streamMaxFrameBytes,
    maxOutboundInFlight: given.maxOutboundInFlight ?? DEFAULT_PEER_LIMITS.maxOutboundInFlight,
    maxInboundInFlight: given.maxInboundInFlight ?? DEFAULT_PEER_LIMITS.maxInboundInFlight,
    highWaterMark: given.highWaterMark ?? DEFAULT_PEER_LIMITS.highWaterMark,
    lowWaterMark: given.lowWaterMark ?? DEFAULT_PEER_LIMITS.lowWaterMark,
    requestTimeoutMs: given.requestTimeoutMs ?? DEFAULT_PEER_LIMITS.requestTimeoutMs,
    logWindowMs: given.logWindowMs ?? DEFAULT_PEER_LIMITS.logWindowMs,
  };
  for (const key of Object.keys(l) as (keyof PeerLimits)[]) positiveInt(key, l[key], key === 'lowWaterMark' ? 0 : 1);
  if (l.maxMessageBytes > streamMaxFrameBytes) {
    throw BosunError.invalidArgument(
      `peer limit maxMessageBytes (${l.maxMessageBytes}) is above the stream's maxFrameBytes (${streamMaxFrameBytes}): oversize messages would close the link instead of being answered`,
      { option: 'maxMessageBytes' },
    );
  }
  if (l.lowWaterMark >= l.highWaterMark) {
    throw BosunError.invalidArgument(`peer limit lowWaterMark (${l.lowWaterMark}) must be below highWaterMark (${l.highWaterMark})`, { option: 'lowWaterMark' });
  }
  return Object.freeze(l);
}
