/**
 * The engine's event stream, narrowed to bosun-managed objects.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { AsyncQueue } from '../deadline.js';
import { LABELS, labelFilter } from '../labels.js';
import type { Logger } from '../logger.js';
import type { DriverEvent } from '../types.js';
import { toDriverError } from './engine-errors.js';

/**
 * Events about bosun-managed objects (label filter `bosun.managed=true`) until
 * `opts.signal` aborts. The engine sends one JSON object per line.
 */
export function engineEvents(docker: Docker, log: Logger, opts: { signal?: AbortSignal } = {}): AsyncIterable<DriverEvent> {
  let stream: Duplex | undefined;
  const q = new AsyncQueue<DriverEvent>(() => stream?.destroy());
  void (async () => {
    try {
      stream = (await docker.getEvents({ filters: labelFilter({}) })) as unknown as Duplex;
      opts.signal?.addEventListener('abort', () => {
        stream?.destroy();
        q.end();
      });
      if (opts.signal?.aborted) stream.destroy();
      let rest = '';
      stream.on('data', (d: Buffer) => {
        rest += d.toString();
        const lines = rest.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          try {
            const e = JSON.parse(line) as {
              Type?: string;
              Action?: string;
              status?: string;
              id?: string;
              Actor?: { ID?: string; Attributes?: Record<string, string> };
              time?: number;
              timeNano?: number;
            };
            q.push({
              type: e.Type ?? 'container',
              action: e.Action ?? e.status ?? '',
              id: e.Actor?.ID ?? e.id ?? '',
              tenant: e.Actor?.Attributes?.[LABELS.tenant],
              time: e.timeNano ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000,
            });
          } catch {
            log.debug({ line }, 'unreadable event line');
          }
        }
      });
      stream.on('end', () => q.end());
      stream.on('close', () => q.end());
      stream.on('error', (e) => q.end(opts.signal?.aborted ? undefined : toDriverError(e, 'events')));
    } catch (e) {
      q.end(toDriverError(e, 'events'));
    }
  })();
  return q;
}
