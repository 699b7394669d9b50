/**
 * Length of the longest prefix of `buf` that does not end inside a UTF-8 character.
 *
 * Only the last three bytes are looked at: a lead byte there whose sequence is longer
 * than what follows it marks an incomplete character, which is cut off. Malformed
 * bytes (stray continuations, invalid leads) are passed through: they are not a
 * character that a later chunk could complete.
 */
export function utf8CompleteLength(buf: Uint8Array): number {
  const n = buf.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = buf[n - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation: keep looking for its lead
    const need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/**
 * Offset of the start of the character that contains `buf[index]`: steps back over at
 * most three continuation bytes. Used to start a replay on a character boundary.
 */
export function utf8CharStart(buf: Uint8Array, index: number): number {
  let i = index;
  while (i > 0 && index - i < 3 && ((buf[i] as number) & 0xc0) === 0x80) i--;
  return ((buf[i] as number) & 0xc0) === 0x80 ? index : i;
}

/**
 * Splits a byte stream into chunks that never end inside a UTF-8 character, holding
 * back an incomplete tail (at most three bytes) until the next push.
 */
export class Utf8Chunker {
  private carry: Buffer | null = null;

  /** Returns the complete part of `carry + chunk` (possibly empty) and keeps the rest. */
  push(chunk: Buffer): Buffer {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = utf8CompleteLength(buf);
    this.carry = cut < buf.length ? Buffer.from(buf.subarray(cut)) : null;
    return cut === buf.length ? buf : buf.subarray(0, cut);
  }

  /** Returns and clears whatever is held back (at end of stream). */
  flush(): Buffer {
    const rest = this.carry ?? Buffer.alloc(0);
    this.carry = null;
    return rest;
  }
}
