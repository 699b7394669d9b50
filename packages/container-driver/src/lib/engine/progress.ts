/**
 * JSON-lines progress streams (pull, build) and Dockerfile base images.
 */

/**
 * Follows a JSON-lines progress stream (pull, build). Resolves with the lines, rejects
 * with the first `error` line: Podman 4.3 reports a failed pull only this way.
 */
export function followProgress(
  stream: NodeJS.ReadableStream,
  onLine: (obj: Record<string, unknown>) => void,
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const lines: Record<string, unknown>[] = [];
    let rest = '';
    let failed: string | undefined;
    const take = (line: string) => {
      if (!line.trim()) return;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch {
        obj = { stream: line };
      }
      lines.push(obj);
      const detail = obj.errorDetail as { message?: string } | undefined;
      if (failed === undefined && (obj.error || detail?.message)) failed = String(detail?.message ?? obj.error);
      onLine(obj);
    };
    stream.on('data', (c: Buffer | string) => {
      rest += c.toString();
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      parts.forEach(take);
    });
    stream.on('end', () => {
      take(rest);
      if (failed !== undefined) reject(new Error(failed));
      else resolve(lines);
    });
    stream.on('error', reject);
  });
}

/**
 * The external base images a Dockerfile names in its `FROM` lines: not `scratch`, not an
 * earlier stage, not one built from an `ARG` (`$`), which only the engine can resolve.
 */
export function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const out: string[] = [];
  for (const line of dockerfile.split(/\r?\n/)) {
    const m = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!m) continue;
    const [, image, alias] = m;
    if (image !== 'scratch' && !image.includes('$') && !stages.has(image.toLowerCase())) out.push(image);
    if (alias) stages.add(alias.toLowerCase());
  }
  return out;
}
