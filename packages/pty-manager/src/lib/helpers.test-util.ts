import type { TerminalSession, ViewerMessage } from '../index.js';

/** Collects a viewer's messages and the stream bytes it assembled by offset. */
export class Collector {
  readonly messages: ViewerMessage[] = [];
  private text = '';
  sink = (msg: ViewerMessage): void => {
    this.messages.push(msg);
    if (msg.type === 'data') this.text += msg.data.toString('utf8');
  };
  get output(): string {
    return this.text;
  }
  get exited(): boolean {
    return this.messages.some((m) => m.type === 'exit');
  }
}

/** Resolves when `pred` holds, polling every 10 ms; rejects after `ms`. */
export async function waitFor(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Attaches a collector from offset 0. */
export function watch(session: TerminalSession): Collector {
  const c = new Collector();
  session.attach({ onMessage: c.sink });
  return c;
}
