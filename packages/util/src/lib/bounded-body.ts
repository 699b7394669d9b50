/**
 * Reads a fetch `Response` body as UTF-8 text, at most `maxBytes`: undefined (and the
 * stream cancelled) as soon as it would pass the limit, so a peer cannot make the caller
 * buffer an endless body. An absent body reads as ''.
 */
export async function readBoundedText(res: Response, maxBytes: number): Promise<string | undefined> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
