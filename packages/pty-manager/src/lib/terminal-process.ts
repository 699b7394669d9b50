import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import nodePty from 'node-pty';

/** How a terminal process ended. `signal` is a number (node-pty) or name, when known. */
export interface ProcessExit {
  exitCode: number | null;
  signal: number | string | null;
}

/** Something a listener registration returns. */
export interface Disposable {
  dispose(): void;
}

/**
 * The backend a session runs on: a process attached to a terminal. node-pty is the
 * default ({@link spawnNodePty}); {@link fromDuplex} adapts a container's TTY exec.
 */
export interface TerminalProcess {
  /** Host pid of the process, when there is one (used to kill its whole tree). */
  readonly pid?: number;
  /** Raw output bytes, in order. */
  onData(cb: (data: Buffer) => void): Disposable;
  /** Fires once when the process is gone. */
  onExit(cb: (exit: ProcessExit) => void): Disposable;
  /** Input to the terminal. */
  write(data: string | Buffer): void;
  /** Changes the terminal size. */
  resize(cols: number, rows: number): void;
  /** Signals the process (default SIGHUP for PTYs). */
  kill(signal?: NodeJS.Signals): void;
  /**
   * Stops watching without ending the program, for backends where it outlives the
   * manager (tmux). Optional; without it, shutdown closes the session.
   */
  detach?(): void;
  /** Stops reading output (the program blocks once the terminal's buffer is full), for flow control. Optional. */
  pause?(): void;
  /** Reads output again after {@link pause}. */
  resume?(): void;
}

/** What a {@link SpawnFactory} is asked to start. */
export interface SpawnRequest {
  command: string;
  args: string[];
  cwd?: string;
  /** Full environment of the child (the manager does not merge in its own). */
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** Terminal type, `TERM` (default `xterm-256color`). */
  termName: string;
}

/** Starts a {@link TerminalProcess}; may be async (e.g. a container exec). */
export type SpawnFactory = (req: SpawnRequest) => TerminalProcess | Promise<TerminalProcess>;

/**
 * Writes to a PTY master straight from the event loop. node-pty 1.1 queues every write
 * through libuv's thread pool (`fs.write`), which puts a thread hop on every keystroke;
 * the master fd is non-blocking, so a synchronous write either takes the bytes or says
 * EAGAIN. What the kernel does not take now is queued and retried on a 1 ms timer (the
 * program is not reading: a paste into a busy program), in order. Any error other than
 * EAGAIN hands the rest to `fallback` (node-pty's own path, which reports it).
 */
export function directWriter(fd: number, fallback: (data: Buffer) => void): (data: string | Buffer) => void {
  const queue: Buffer[] = [];
  let timer: NodeJS.Timeout | null = null;
  let broken = false;
  const pump = (): void => {
    timer = null;
    while (queue.length > 0) {
      const head = queue[0] as Buffer;
      let n: number;
      try {
        n = writeSync(fd, head);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          timer = setTimeout(pump, 1);
          return;
        }
        broken = true;
        for (const b of queue.splice(0)) fallback(b);
        return;
      }
      if (n < head.length) queue[0] = head.subarray(n);
      else queue.shift();
    }
  };
  return (data) => {
    let buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (buf.length === 0) return;
    if (broken) return fallback(Buffer.from(buf));
    if (queue.length === 0) {
      try {
        const n = writeSync(fd, buf);
        if (n === buf.length) return;
        buf = buf.subarray(n);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
          broken = true;
          return fallback(Buffer.from(buf));
        }
      }
    }
    // Queued bytes outlive the caller's buffer (a socket frame): copy them.
    queue.push(Buffer.from(buf));
    timer ??= setTimeout(pump, 1);
  };
}

/**
 * The default backend: a host PTY from node-pty, read as raw bytes (`encoding: null`).
 *
 * node-pty alone loses the tail of a program's output on Linux: when the last process
 * holding the terminal exits, reads of the master fail with EIO before the kernel
 * buffer is drained. So the adapter holds the slave side open itself, notices the
 * child's exit by polling (every 50 ms), waits for output to go quiet (30 ms), and only
 * then closes its slave fd, letting node-pty see EIO and report the exit.
 */
export const spawnNodePty: SpawnFactory = (req) => {
  const p = nodePty.spawn(req.command, req.args, {
    name: req.termName,
    cols: req.cols,
    rows: req.rows,
    ...(req.cwd === undefined ? {} : { cwd: req.cwd }),
    env: req.env,
    encoding: null,
  });
  const internals = p as unknown as { _pty?: string; _boundClose?: boolean };
  let slave: number | null = null;
  try {
    if (internals._pty) slave = openSync(internals._pty, constants.O_RDWR | constants.O_NOCTTY);
  } catch {
    slave = null;
  }
  let lastData = Date.now();
  const dataSub = p.onData(() => {
    lastData = Date.now();
  });
  const childGone = (): boolean => {
    if (internals._boundClose === true) return true;
    try {
      process.kill(p.pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  const releaseSlave = (): void => {
    if (slave === null) return;
    const fd = slave;
    slave = null;
    try {
      closeSync(fd);
    } catch {
      /* closed already */
    }
  };
  let poll: NodeJS.Timeout | null = null;
  if (slave !== null) {
    poll = setInterval(() => {
      if (!childGone() || Date.now() - lastData < 30) return;
      if (poll) clearInterval(poll);
      poll = null;
      releaseSlave();
    }, 50);
    poll.unref();
  }
  p.onExit(() => {
    if (poll) clearInterval(poll);
    releaseSlave();
    dataSub.dispose();
  });
  return {
    pid: p.pid,
    // With encoding null node-pty emits Buffers, though its typings say string.
    onData: (cb) => p.onData((d) => cb(d as unknown as Buffer)),
    onExit: (cb) => p.onExit(({ exitCode, signal }) => cb({ exitCode, signal: signal ? signal : null })),
    write: typeof (p as unknown as { _fd?: unknown })._fd === 'number' ? directWriter((p as unknown as { _fd: number })._fd, (d) => p.write(d as unknown as string)) : (data) => p.write(data as string),
    pause: () => p.pause(),
    resume: () => p.resume(),
    resize: (cols, rows) => {
      try {
        p.resize(cols, rows);
      } catch {
        /* the terminal is closing */
      }
    },
    kill: (signal) => {
      try {
        p.kill(signal);
      } catch {
        /* gone */
      }
    },
  };
};

/** What a container driver's TTY exec provides, for {@link fromDuplex}. */
export interface DuplexTerminal {
  /** Output of the TTY is read from it, input written to it. */
  stream: Duplex;
  /** Resizes the TTY. Rejections are ignored (some engines answer 201 as an error). */
  resize(cols: number, rows: number): void | Promise<unknown>;
  /** Resolves with the exit status once the process has ended. */
  exit: Promise<ProcessExit | number | null>;
  /** Stops the process; without it, kill() ends the stream. */
  kill?(signal?: NodeJS.Signals): void | Promise<unknown>;
  /** Host pid, if known. */
  pid?: number;
}

/**
 * Adapts a duplex TTY stream (e.g. a container exec with `Tty: true`) to a
 * {@link TerminalProcess}. Exit fires once, after the stream has ended (so no output
 * is lost) or on `exit`'s settling if the stream never ends, whichever comes last
 * within 200 ms.
 */
export function fromDuplex(t: DuplexTerminal): TerminalProcess {
  const dataCbs = new Set<(d: Buffer) => void>();
  const exitCbs = new Set<(e: ProcessExit) => void>();
  let exited: ProcessExit | null = null;
  let streamEnded = false;
  let status: ProcessExit | null = null;
  const fire = (): void => {
    if (exited || !status) return;
    exited = status;
    for (const cb of exitCbs) cb(status);
  };
  t.stream.on('data', (d: Buffer | string) => {
    const b = typeof d === 'string' ? Buffer.from(d) : d;
    for (const cb of dataCbs) cb(b);
  });
  const onEnd = (): void => {
    streamEnded = true;
    fire();
  };
  t.stream.once('end', onEnd);
  t.stream.once('close', onEnd);
  t.stream.once('error', onEnd);
  t.exit.then(
    (e) => {
      status = typeof e === 'number' || e === null ? { exitCode: e, signal: null } : e;
      if (streamEnded) fire();
      else setTimeout(fire, 200).unref();
    },
    () => {
      status = { exitCode: null, signal: null };
      fire();
    },
  );
  return {
    ...(t.pid === undefined ? {} : { pid: t.pid }),
    onData(cb) {
      dataCbs.add(cb);
      return { dispose: () => dataCbs.delete(cb) };
    },
    onExit(cb) {
      exitCbs.add(cb);
      if (exited) queueMicrotask(() => cb(exited as ProcessExit));
      return { dispose: () => exitCbs.delete(cb) };
    },
    write(data) {
      if (!t.stream.writableEnded && !t.stream.destroyed) t.stream.write(data);
    },
    pause() {
      t.stream.pause();
    },
    resume() {
      t.stream.resume();
    },
    resize(cols, rows) {
      void Promise.resolve()
        .then(() => t.resize(cols, rows))
        .catch(() => undefined);
    },
    kill(signal) {
      if (t.kill) void Promise.resolve(t.kill(signal)).catch(() => undefined);
      else t.stream.destroy();
    },
  };
}
