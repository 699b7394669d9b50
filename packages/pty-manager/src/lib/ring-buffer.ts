/**
 * A fixed-capacity byte ring addressed by absolute stream offset.
 *
 * Offset 0 is the first byte ever written, unless the ring starts at `base` (a stream
 * whose earlier bytes are gone, e.g. a session adopted after a restart); `end` is
 * `base` plus the total written. The ring holds `[start, end)` where
 * `start = max(base, end - capacity)`.
 */
export class ByteRing {
  private readonly buf: Buffer;
  private total: number;

  /**
   * @param capacity bytes kept (must be ≥ 1).
   * @param base offset of the first byte this ring will hold (default 0).
   */
  constructor(
    readonly capacity: number,
    private readonly base = 0,
  ) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.total = base;
  }

  /** Offset one past the last byte written. */
  get end(): number {
    return this.total;
  }

  /** Oldest offset still held. */
  get start(): number {
    return Math.max(this.base, this.total - this.capacity);
  }

  /** Appends `data`, evicting the oldest bytes as needed. */
  write(data: Uint8Array): void {
    const cap = this.capacity;
    let src = data;
    if (src.length >= cap) src = src.subarray(src.length - cap);
    const pos = (this.total + (data.length - src.length)) % cap;
    const first = cap - pos;
    if (src.length <= first) this.buf.set(src, pos);
    else {
      this.buf.set(src.subarray(0, first), pos);
      this.buf.set(src.subarray(first), 0);
    }
    this.total += data.length;
  }

  /** A copy of `[from, end)`; `from` must lie in `[start, end]`. */
  read(from: number): Buffer {
    if (from < this.start || from > this.total) throw new RangeError(`offset ${from} outside [${this.start}, ${this.total}]`);
    const len = this.total - from;
    const out = Buffer.allocUnsafe(len);
    const pos = from % this.capacity;
    const first = Math.min(len, this.capacity - pos);
    this.buf.copy(out, 0, pos, pos + first);
    if (first < len) this.buf.copy(out, first, 0, len - first);
    return out;
  }

  /**
   * Copies `[from, end)` into `target` (which must hold `end - from` bytes) and returns
   * the view of it: {@link read} without allocating.
   */
  readInto(from: number, target: Buffer): Buffer {
    if (from < this.start || from > this.total) throw new RangeError(`offset ${from} outside [${this.start}, ${this.total}]`);
    const len = this.total - from;
    if (target.length < len) throw new RangeError(`target holds ${target.length} bytes, ${len} needed`);
    const pos = from % this.capacity;
    const first = Math.min(len, this.capacity - pos);
    this.buf.copy(target, 0, pos, pos + first);
    if (first < len) this.buf.copy(target, first, 0, len - first);
    return target.subarray(0, len);
  }

  /** The byte at absolute `offset` (must be held). */
  at(offset: number): number {
    return this.buf[offset % this.capacity] as number;
  }
}
