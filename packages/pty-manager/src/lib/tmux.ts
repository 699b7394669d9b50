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

  /** Runs one tmux command on the manager's socket. */
  run(args: string[], env?: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.tmuxPath,
        ['-S', this.options.socketPath, '-f', '/dev/null', ...args],
        { timeout: 10_000, ...(env ? { env } : {}) },
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
        ['#{session_name}', '#{@bosun-name}', '#{@bosun-command}', '#{@bosun-created}', '#{window_width}', '#{window_height}'].join(SEP),
      ]);
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'no tmux sessions to rediscover');
      return [];
    }
    return out
      .split('\n')
      .filter((l) => l.startsWith(this.prefix))
      .map((l) => {
        const [full = '', name = '', command = '', created = '', w = '80', h = '24'] = l.split(SEP);
        const id = full.slice(this.prefix.length);
        return { id, name: name || id, command, createdAt: Number(created) || 0, cols: Number(w), rows: Number(h) };
      });
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
