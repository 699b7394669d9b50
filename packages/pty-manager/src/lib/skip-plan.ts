/**
 * Where a terminal emulator that is catching up on output may skip bytes without
 * changing the screen it ends with.
 *
 * Plain text (no escape sequence, no shift or C1 control, no backspace) only writes
 * characters and moves the cursor down. When it carries more line feeds than the
 * emulator keeps lines (scrollback plus twice the rows, for the rows the cursor walks
 * before it reaches the bottom), everything written before those line feeds has
 * scrolled out of the buffer: only the tail matters. {@link planSkip} finds such a
 * stretch: parse `[0, head)`, then (if the emulator is then in its ground state, on the
 * normal buffer, with the full-screen scroll region) jump to `tail` — a carriage
 * return, so the cursor's column is 0 there in both cases — and parse `[tail, end)`.
 */

/** Bytes that change state plain text cannot: ESC, SO, SI, BS (reverse wrap), and UTF-8 C1 controls (C2 80–9F). */
function lastStateByte(b: Uint8Array, buf: Buffer): number {
  let s = Math.max(buf.lastIndexOf(0x1b), buf.lastIndexOf(0x0e), buf.lastIndexOf(0x0f), buf.lastIndexOf(0x08));
  for (let i = buf.lastIndexOf(0xc2); i > s; i = i > 0 ? buf.lastIndexOf(0xc2, i - 1) : -1) {
    const next = b[i + 1];
    // A C2 at the very end may start a C1 control whose second byte comes next: count it.
    if (next === undefined || (next >= 0x80 && next <= 0x9f)) {
      s = i;
      break;
    }
  }
  return s;
}

/** A skip found by {@link planSkip}: parse `[0, head)`, skip `[head, tail)`, parse `[tail, end)`. */
export interface SkipPlan {
  head: number;
  tail: number;
}

/**
 * Plans a skip over `region`, or returns null when none is possible or worth it.
 *
 * @param region bytes the emulator has not seen yet.
 * @param keepLines line feeds the parsed tail must carry: at least the emulator's
 *   `scrollback + 2 × rows + 2`.
 * @param minSkip smallest skip worth splitting the parse for (default 4 KiB).
 */
export function planSkip(region: Uint8Array, keepLines: number, minSkip = 4096): SkipPlan | null {
  if (region.byteLength < minSkip) return null;
  const buf = Buffer.from(region.buffer, region.byteOffset, region.byteLength);
  const s = lastStateByte(region, buf);
  let head = 0;
  if (s >= 0) {
    // The sequence at `s` may run on for a few bytes; a line feed ends any that is not a string (checked by the caller).
    const lf = buf.indexOf(0x0a, s + 1);
    if (lf < 0) return null;
    head = lf + 1;
  }
  // Walk back over `keepLines` line feeds, then to the carriage return before them.
  let x = buf.length;
  for (let n = 0; n < keepLines; n++) {
    if (x <= head) return null;
    x = buf.lastIndexOf(0x0a, x - 1);
    if (x < head) return null;
  }
  const tail = x > 0 ? buf.lastIndexOf(0x0d, x - 1) : -1;
  if (tail < head || tail - head < minSkip) return null;
  return { head, tail };
}
