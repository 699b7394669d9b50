import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import nodePty from 'node-pty';
import { PtyError, PtyErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import type { Disposable, ProcessExit, SpawnRequest, TerminalProcess } from './terminal-process.js';

/** Options for running sessions inside tmux. */
export interface TmuxOptions {
  /**
   * Path of the tmux server socket the manager owns (`tmux -S`). Its directory also
   * holds exit-status files. Use a dedicated path so a user's tmux is never touched.
   */
  socketPath: string;
  /** tmux binary (default `tmux`). */
  tmuxPath?: string;
  /** Prefix of the tmux session names the manager creates and rediscovers (default `bosun-`). */
  prefix?: string;
}

/** A tmux session found on the manager's socket. */
export interface TmuxSessionFound {
  id: string;
  name: string;
  command: string;
  cols: number;
  rows: number;
  createdAt: number;
  /** Stream offset the previous manager had reached when it let go (0 if it did not record one). */
  offset: number;
}

/** A pane's screen captured from tmux, for seeding a rediscovered session's screen. */
export interface TmuxCapture {
  /** Escape sequences that rebuild the pane (scrollback, normal and alternate screen, cursor) in a fresh terminal of its size. */
  screen: string;
  /** Whether the pane shows the alternate screen. */
  alternate: boolean;
}

const SEP = '\x1f';

/**
 * Sessions inside tmux on a dedicated socket, so they survive a restart of the agent.
 * The manager watches each one through a `tmux attach` client in a node-pty, whose
 * redraws feed the session's ring and screen like any program's output. The program
 * runs under a small `sh` wrapper that records its exit status in a file beside the
 * socket, since tmux forgets it once the pane is gone.
 */
export class TmuxBackend {
  private readonly tmuxPath: string;
  private readonly prefix: string;
  private readonly stateDir: string;

  constructor(
    private readonly options: TmuxOptions,
    private readonly logger: Logger,
  ) {
    this.tmuxPath = options.tmuxPath ?? 'tmux';
    this.prefix = options.prefix ?? 'bosun-';
    this.stateDir = dirname(options.socketPath);
  }

  /** Runs one tmux command on the manager's socket, killing it after `timeoutMs`. */
  run(args: string[], env?: Record<string, string>, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.tmuxPath,
        ['-S', this.options.socketPath, '-f', '/dev/null', ...args],
        { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024, ...(env ? { env } : {}) },
        (err, stdout, stderr) => {
          if (err) reject(new PtyError(PtyErrorCode.TmuxUnavailable, `tmux ${args[0]}: ${stderr.trim() || err.message}`));
          else resolve(stdout);
        },
      );
    });
  }

  private exitFile(id: string): string {
    return join(this.stateDir, `${this.prefix}${id}.exit`);
  }

  /** Starts the program in a new detached tmux session and attaches a client to it. */
  async create(id: string, name: string, req: SpawnRequest, clientEnv: Record<string, string>): Promise<TerminalProcess> {
    const target = this.prefix + id;
    const envArgs = Object.entries(req.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const wrapper = '"$@"; echo $? > "$0"';
    await this.run(
      [
        'new-session', '-d', '-s', target, '-x', String(req.cols), '-y', String(req.rows),
        ...(req.cwd ? ['-c', req.cwd] : []), ...envArgs,
        '--', '/bin/sh', '-c', wrapper, this.exitFile(id), req.command, ...req.args,
        ';', 'set-option', '-t', target, 'status', 'off',
        ';', 'set-option', '-t', target, 'prefix', 'None',
        ';', 'set-option', '-t', target, 'prefix2', 'None',
        ';', 'set-option', '-t', target, '@bosun-name', name,
        ';', 'set-option', '-t', target, '@bosun-command', req.command,
        ';', 'set-option', '-t', target, '@bosun-created', String(Date.now()),
        ';', 'set-option', '-g', 'escape-time', '0',
      ],
      { ...clientEnv, ...req.env },
    );
    return this.attach(id, req.cols, req.rows, { ...clientEnv, TERM: req.termName });
  }

  /** Lists the sessions on the socket that carry the prefix (none if no server runs). */
  async list(): Promise<TmuxSessionFound[]> {
    let out: string;
    try {
      out = await this.run([
        'list-sessions', '-F',
        [
          '#{session_name}', '#{@bosun-name}', '#{@bosun-command}', '#{@bosun-created}',
          '#{window_width}', '#{window_height}', '#{@bosun-offset}',
        ].join(SEP),
      ]);
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'no tmux sessions to rediscover');
      return [];
    }
    return out
      .split('\n')
      .filter((l) => l.startsWith(this.prefix))
      .map((l) => {
        const [full = '', name = '', command = '', created = '', w = '80', h = '24', offset = ''] = l.split(SEP);
        const id = full.slice(this.prefix.length);
        return {
          id,
          name: name || id,
          command,
          createdAt: Number(created) || 0,
          cols: Number(w),
          rows: Number(h),
          offset: Math.max(0, Math.floor(Number(offset) || 0)),
        };
      });
  }

  /**
   * Records the stream offset a manager reached when it let go of the session, so the
   * next manager continues numbering after it (viewers' old offsets then map to a
   * snapshot, never to unrelated bytes).
   */
  async rememberOffset(id: string, offset: number): Promise<void> {
    await this.run(['set-option', '-t', `=${this.prefix}${id}:`, '@bosun-offset', String(offset)], undefined, 5000).catch(
      (err: Error) => this.logger.debug({ session: id, err: err.message }, 'could not record the offset in tmux'),
    );
  }

  /**
   * The pane's screen from `capture-pane -p -e -J` (with up to `scrollback` lines of
   * history, or the normal screen under the alternate one) and its cursor and
   * alternate-screen state from `display-message`, as escape sequences for a fresh
   * terminal of the pane's size. Each tmux call has a 5 s deadline.
   */
  async capture(id: string, scrollback: number): Promise<TmuxCapture> {
    const target = this.prefix + id;
    const fmt = '#{pane_id} #{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on} #{alternate_saved_x} #{alternate_saved_y}';
    const state = (await this.run(['display-message', '-p', '-t', `=${target}:`, fmt], undefined, 5000)).trim().split(' ');
    const [pane = '', cx, cy, cursorFlag, altOn, savedX, savedY] = state;
    const num = (v: string | undefined): number => Math.max(0, Math.floor(Number(v) || 0));
    const cap = (extra: string[]): Promise<string> =>
      this.run(['capture-pane', '-p', '-e', '-J', ...extra, '-t', pane], undefined, 5000);
    const lines = (out: string): string => {
      const ls = out.split('\n');
      if (ls[ls.length - 1] === '') ls.pop();
      return ls.join('\r\n');
    };
    const cup = (x: string | undefined, y: string | undefined): string => `\x1b[${num(y) + 1};${num(x) + 1}H`;
    const alternate = altOn === '1';
    let screen: string;
    if (alternate) {
      // tmux keeps the normal screen aside while the alternate one shows (-a).
      const normal = await cap(['-a']).catch(() => '');
      const alt = await cap([]);
      screen = `${lines(normal)}\x1b[0m${cup(savedX, savedY)}\x1b[?1049h\x1b[H${lines(alt)}`;
    } else {
      screen = lines(await cap(scrollback > 0 ? ['-S', `-${scrollback}`] : []));
    }
    screen += `\x1b[0m${cup(cx, cy)}${cursorFlag === '0' ? '\x1b[?25l' : ''}`;
    return { screen, alternate };
  }

  /** Attaches a tmux client in a PTY and exposes it as the session's process. */
  async attach(id: string, cols: number, rows: number, env: Record<string, string>): Promise<TerminalProcess> {
    const target = this.prefix + id;
    const pidOut = await this.run(['display-message', '-p', '-t', target, '#{pane_pid}']);
    const panePid = Number(pidOut.trim()) || undefined;
    const client = nodePty.spawn(this.tmuxPath, ['-S', this.options.socketPath, '-f', '/dev/null', 'attach-session', '-t', `=${target}`], {
      name: 'xterm-256color',
      cols,
      rows,
      env: { TERM: 'xterm-256color', ...env },
      encoding: null,
    });
    let detached = false;
    const exitFile = this.exitFile(id);
    const readExit = async (): Promise<ProcessExit> => {
      try {
        const code = Number((await readFile(exitFile, 'utf8')).trim());
        await rm(exitFile, { force: true });
        return code > 128 ? { exitCode: null, signal: code - 128 } : { exitCode: code, signal: null };
      } catch {
        return { exitCode: null, signal: null };
      }
    };
    return {
      ...(panePid ? { pid: panePid } : {}),
      onData: (cb) => client.onData((d) => cb(d as unknown as Buffer)),
      onExit: (cb): Disposable => {
        let live = true;
        const sub = client.onExit(() => {
          if (detached) return;
          void readExit().then((e) => live && cb(e));
        });
        return {
          dispose: () => {
            live = false;
            sub.dispose();
          },
        };
      },
      write: (data) => client.write(data as string),
      resize: (c, r) => client.resize(c, r),
      kill: (signal) => {
        if (panePid) {
          try {
            process.kill(panePid, signal ?? 'SIGHUP');
          } catch {
            /* gone */
          }
        }
      },
      detach: () => {
        detached = true;
        client.kill('SIGHUP');
      },
    };
  }

  /** Kills the tmux session (after close), ignoring one that is already gone. */
  async kill(id: string): Promise<void> {
    await this.run(['kill-session', '-t', `=${this.prefix}${id}`]).catch(() => undefined);
  }
}
