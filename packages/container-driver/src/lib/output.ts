/**
 * Output collectors with byte caps.
 */

/** Keeps the first `cap` bytes; counts what it drops. */
export class HeadBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  /** True once a byte was dropped. */
  truncated = false;

  constructor(private readonly cap: number) {}

  push(data: Buffer): void {
    const room = this.cap - this.size;
    if (room <= 0) {
      if (data.length) this.truncated = true;
      return;
    }
    const part = data.length > room ? data.subarray(0, room) : data;
    if (part.length < data.length) this.truncated = true;
    this.parts.push(part);
    this.size += part.length;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Keeps the newest `cap` bytes (for background output read later). */
export class TailBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(data: Buffer): void {
    this.parts.push(data);
    this.size += data.length;
    while (this.size > this.cap && this.parts.length) {
      const first = this.parts[0];
      const over = this.size - this.cap;
      this.truncated = true;
      if (first.length <= over) {
        this.parts.shift();
        this.size -= first.length;
      } else {
        this.parts[0] = first.subarray(over);
        this.size -= over;
      }
    }
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}
