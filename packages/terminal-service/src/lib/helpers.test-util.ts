import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { DriverError, type ContainerDriver, type ContainerInfo, type ContainerRef, type ExecSpec, type TtyExecSpec, type TtySession } from '@bosun/container-driver';
import type { Logger } from '@bosun/logger';
import type { ViewerMessage } from '@bosun/pty-manager';

/** Resolves when `pred` holds, polling every 10 ms; rejects after `ms` (a safety net, not a timing assertion). */
export async function waitFor(pred: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects a viewer's messages and the text of its data. */
export class Collector {
  readonly messages: ViewerMessage[] = [];
  text = '';
  sink = (msg: ViewerMessage): void => {
    this.messages.push(msg);
    if (msg.type === 'data' || msg.type === 'snapshot') this.text += msg.data.toString('utf8');
  };
  get exited(): boolean {
    return this.messages.some((m) => m.type === 'exit');
  }
}

/** A logger that keeps every line. */
export function memoryLogger(): Logger & { lines: { level: string; obj: unknown; msg: string | undefined }[] } {
  const lines: { level: string; obj: unknown; msg: string | undefined }[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg: typeof obj === 'string' ? obj : msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A TTY whose program echoes input back (a terminal in raw mode running `cat`). */
export function echoTty(): TtySession {
  let done!: (n: number) => void;
  const exited = new Promise<number>((r) => (done = r));
  const stream = new Duplex({
    read() {
      /* pushed on write */
    },
    write(chunk: Buffer, _enc, cb) {
      this.push(chunk);
      cb();
    },
  });
  stream.once('close', () => done(0));
  return { stream, resize: async () => undefined, exited, close: () => void stream.destroy() };
}

/** A fake container driver: containers are records, TTY execs echo, `exec` is recorded and answered by `onExec`. */
export class FakeDriver {
  readonly containers = new Map<string, ContainerInfo>();
  readonly execs: { ref: ContainerRef; spec: ExecSpec }[] = [];
  readonly ttys: { ref: ContainerRef; spec: TtyExecSpec; tty: TtySession }[] = [];
  onExec: (ref: ContainerRef, spec: ExecSpec) => Promise<{ exitCode: number; stdout: string }> = async () => ({ exitCode: 0, stdout: '' });
  listAllImpl: () => Promise<ContainerInfo[]> = async () => [...this.containers.values()];

  constructor(readonly kind: 'engine' | 'process' = 'engine') {}

  add(tenant: string, id: string, workspace = 'w1', status: ContainerInfo['status'] = 'running'): void {
    this.containers.set(id, { id, tenant, workspace, image: 'img', status, labels: {}, createdAt: new Date(0).toISOString() });
  }

  get driver(): ContainerDriver {
    const inspect = async (ref: ContainerRef): Promise<ContainerInfo> => {
      const c = this.containers.get(ref.id);
      if (!c || c.tenant !== ref.tenant) throw DriverError.notFound(`container ${ref.id}`);
      return c;
    };
    return {
      kind: this.kind,
      inspect,
      listAll: () => this.listAllImpl(),
      exec: async (ref: ContainerRef, spec: ExecSpec) => {
        await inspect(ref);
        this.execs.push({ ref, spec });
        const r = await this.onExec(ref, spec);
        return { exitCode: r.exitCode, stdout: Buffer.from(r.stdout), stderr: Buffer.alloc(0), truncated: false, durationMs: 1 };
      },
      execTty: async (ref: ContainerRef, spec: TtyExecSpec) => {
        await inspect(ref);
        const tty = echoTty();
        this.ttys.push({ ref, spec, tty });
        return tty;
      },
    } as unknown as ContainerDriver;
  }
}

/** True once `pid` is gone or a zombie (read from /proc, Linux). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
