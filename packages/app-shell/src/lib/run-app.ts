import { Command, CommanderError, Option } from 'commander';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { ConfigError, flagNameOf, loadConfig, schemaKind, type ConfigKeySpec, type ConfigSpec, type LoadedConfig } from '@bosun/config';
import { errorLine, errorSummary, messageOf } from './error-line.js';
import { describeConfigKey, formatEnvOnlyKeys, formatExamples, type CommandExample } from './help-text.js';
import { LogTap, RotatingFileSink, textLogStream } from './log-sinks.js';

/** Exit codes every Bosun app uses. */
export const ExitCode = {
  ok: 0,
  /** Start-up failed or a graceful shutdown overran its deadline. */
  failure: 1,
  /** Bad usage: unknown flag or command, bad config value. */
  usage: 2,
} as const;

/** What a running app hands back so it can be stopped. */
export interface AppHandle {
  /** Graceful shutdown: stop taking work, finish or hand off what runs, close sockets. */
  close(): Promise<void>;
}

/** Given to an app's `start`. */
export interface AppContext<T> {
  config: Readonly<T>;
  /** Where each config value came from (for a start-up summary that reveals no secret). */
  origins: LoadedConfig<T>['origins'];
  logger: Logger;
  /** Aborted when a shutdown signal arrives. */
  signal: AbortSignal;
  /** Positional arguments after the flags. */
  args: string[];
  /** The process environment the app was given (apps may read it; libraries never do). */
  env: Record<string, string | undefined>;
  /** Writes command output (not logs) to stdout; tests capture it. */
  stdout: (text: string) => void;
  /** Whether stdout is a terminal (for colour; never for choosing the output format). */
  stdoutIsTTY: boolean;
  /** The app's own log lines as written: the last 100 and a live subscription (for a log view). */
  logTap: LogTap;
}

/** One runnable command: the app itself, or a subcommand of the CLI. */
export interface CommandDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Command name (`bosun-worker`, or `login` for a subcommand). */
  name: string;
  /** One line for `--help`. */
  description: string;
  /** Config schema with env/flag names per key. */
  config: ConfigSpec<S>;
  /** Where the config file path comes from: `--config <path>` and this env var (e.g. `AGENT_CONFIG`). */
  configFile?: { env?: string; default?: string };
  /** Positional arguments, as commander syntax (e.g. `['<id>', '[command...]']`). */
  arguments?: string[];
  /** Shown under `Examples:` at the end of this command's `--help` (default: none). */
  examples?: CommandExample[];
  /** Extra paragraphs shown before the examples in `--help` (e.g. how output is chosen). Default: none. */
  helpNotes?: string;
  /**
   * Where the app also keeps its logs (JSON lines, 0600, rotated at 10 MiB, 3 kept), from
   * its config; undefined or absent: stderr only.
   */
  logFile?(config: z.infer<S>): string | undefined;
  /** Starts the work. Resolve with a handle for long-running apps, or with nothing (or an exit code) for one-shot commands. */
  start(ctx: AppContext<z.infer<S>>): Promise<AppHandle | number | void>;
}

/** An app: a command with a version, optionally with subcommands (the CLI). */
export interface AppDefinition<S extends z.ZodObject = z.ZodObject> extends Partial<CommandDefinition<S>> {
  name: string;
  description: string;
  version: string;
  // Subcommands have their own config schema each.
  commands?: CommandDefinition<any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * The exit code for an error thrown by `start` (e.g. the error registry's code for a
   * coded error); `undefined` means 1. Default: every start failure exits 1. Injected so
   * this shell stays below the protocol layer that owns the registry.
   */
  exitCodeOf?: (error: unknown) => number | undefined;
}

/** Process-level inputs, injected so tests can run an app in memory. */
export interface RunOptions {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Whether stdout is a terminal (default: `process.stdout.isTTY` when `stdout` is not injected, else false). */
  stdoutIsTTY?: boolean;
  /** Where logs go (default: stderr, so stdout stays clean for command output). */
  logDestination?: NodeJS.WritableStream;
  /** Install SIGTERM/SIGINT handlers (default true). */
  handleSignals?: boolean;
  /** How long a graceful shutdown may take before the process exits 1 (default 10 000 ms). */
  shutdownTimeoutMs?: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Keys every app has. */
const commonSchema = z.object({
  logLevel: z.enum(LOG_LEVELS).default('info'),
  logFormat: z.enum(['json', 'text']).default('json'),
});
const commonKeys: Record<string, ConfigKeySpec> = {
  logLevel: { env: 'LOG_LEVEL', description: `log level: ${LOG_LEVELS.join('|')}` },
  logFormat: { env: 'LOG_FORMAT', description: 'log lines on stderr: json (one object a line) or text (for people)' },
};

/**
 * Runs an app the way every Bosun app behaves: `--help` (every flag with its default and
 * env var, then examples) and `--version` exit 0; every error a person reads is one line
 * on stderr prefixed with the app's name (`bosun: …`, `bosun-worker: …`): an unknown flag
 * or command and a bad config value exit 2, a failed start exits with `app.exitCodeOf`'s
 * code (default 1) and logs the failure at error without a stack (with it at `debug`);
 * SIGTERM/SIGINT shut down gracefully and exit 0 (a second signal exits at once).
 *
 * @returns the exit code (the process is not exited here, so tests can call it).
 */
export async function runApp(app: AppDefinition, options: RunOptions): Promise<number> {
  const out = options.stdout ?? ((t: string) => process.stdout.write(t));
  const err = options.stderr ?? ((t: string) => process.stderr.write(t));
  const io: CommandIo = {
    out,
    stdoutIsTTY: options.stdoutIsTTY ?? (options.stdout ? false : process.stdout.isTTY === true),
    // One prefix for the whole app, subcommands included: `bosun: …`, never `worker: …` or `error: …`.
    fail: (message: string) => err(errorLine(app.name, message)),
  };
  const output = { writeOut: out, writeErr: err, outputError: (text: string) => io.fail(text) };
  let result: Promise<number> | undefined;

  const program = new Command(app.name)
    .description(app.description)
    .version(app.version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .configureOutput(output)
    .showSuggestionAfterError(true)
    .exitOverride();

  const bind = (cmd: Command, def: CommandDefinition) => {
    const spec = withCommonKeys(def.config);
    addConfigOptions(cmd, spec, def.configFile);
    addHelpExtras(cmd, spec, def);
    for (const a of def.arguments ?? []) cmd.argument(a);
    cmd.action((...actionArgs: unknown[]) => {
      const command = actionArgs.at(-1) as Command;
      result = startCommand(def, spec, command, options, io, app.exitCodeOf);
    });
  };

  if (app.commands?.length) {
    program.showHelpAfterError(false);
    for (const def of app.commands) {
      const sub = program.command(def.name).description(def.description).helpOption('-h, --help', 'show this help and exit');
      sub.configureOutput(output).showSuggestionAfterError(true).exitOverride();
      bind(sub, def);
    }
    if (app.start && app.config) bind(program, app as CommandDefinition);
    else if (app.examples?.length || app.helpNotes) program.addHelpText('after', `${app.helpNotes ? `\n${app.helpNotes.trimEnd()}\n` : ''}${formatExamples(app.examples)}`.trimEnd());
  } else if (app.start && app.config) {
    bind(program, app as CommandDefinition);
  }

  try {
    await program.parseAsync(options.argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    io.fail(messageOf(e));
    return ExitCode.failure;
  }
  return result ? await result : ExitCode.ok;
}

/** Where a command's output and its one-line errors go. */
interface CommandIo {
  out: (text: string) => void;
  stdoutIsTTY: boolean;
  /** Prints `<app>: <message>` as one line on stderr. */
  fail: (message: string) => void;
}

/** The `Environment (no flag):` block, then notes, then `Examples:`, after a command's options. */
function addHelpExtras(cmd: Command, spec: ConfigSpec<z.ZodObject>, def: CommandDefinition): void {
  const shape = spec.schema.shape as Record<string, z.ZodType>;
  const keys = spec.keys as Record<string, ConfigKeySpec | undefined>;
  const envOnly: { env: string; description: string }[] = [];
  for (const key of Object.keys(shape)) {
    const env = keys[key]?.env;
    if (env && !flagNameOf(key, keys[key])) envOnly.push({ env, description: describeConfigKey(shape[key], { ...keys[key], env: undefined }, key) });
  }
  const notes = def.helpNotes ? `\n${def.helpNotes.trimEnd()}\n` : '';
  const text = `${formatEnvOnlyKeys(envOnly)}${notes}${formatExamples(def.examples)}`;
  // commander ends the help text with its own line break.
  if (text) cmd.addHelpText('after', text.trimEnd());
}

function withCommonKeys(spec: ConfigSpec<z.ZodObject>): ConfigSpec<z.ZodObject> {
  return {
    schema: commonSchema.extend(spec.schema.shape),
    keys: { ...commonKeys, ...spec.keys } as ConfigSpec<z.ZodObject>['keys'],
  };
}

function addConfigOptions(cmd: Command, spec: ConfigSpec<z.ZodObject>, configFile: CommandDefinition['configFile']): void {
  const shape = spec.schema.shape as Record<string, z.ZodType>;
  const keys = spec.keys as Record<string, ConfigKeySpec | undefined>;
  for (const key of Object.keys(shape)) {
    const ks = keys[key];
    const flag = flagNameOf(key, ks);
    if (!flag) continue;
    const isBool = schemaKind(shape[key]) === 'boolean';
    const opt = new Option(isBool ? `--${flag}` : `--${flag} <value>`, describeConfigKey(shape[key], ks, key));
    opt.attributeName = () => key;
    cmd.addOption(opt);
  }
  const extra = [configFile?.default ? `default: ${configFile.default}, read only if it exists` : '', configFile?.env ? `env: ${configFile.env}` : ''].filter(Boolean);
  cmd.option('-c, --config <path>', `YAML or JSON config file${extra.length ? ` (${extra.join(', ')})` : ''}`);
}

async function startCommand(
  def: CommandDefinition,
  spec: ConfigSpec<z.ZodObject>,
  cmd: Command,
  options: RunOptions,
  io: CommandIo,
  exitCodeOf: AppDefinition['exitCodeOf'],
): Promise<number> {
  const opts = cmd.opts<Record<string, unknown>>();
  const { config: configPath, ...flags } = opts;
  const filePath = (configPath as string | undefined) ?? (def.configFile?.env ? options.env[def.configFile.env] : undefined);
  let loaded: LoadedConfig<Record<string, unknown>>;
  try {
    loaded = loadConfig(spec, {
      flags,
      env: options.env,
      file: filePath ? { path: filePath, required: true } : def.configFile?.default ? { path: def.configFile.default, required: false } : undefined,
    }) as LoadedConfig<Record<string, unknown>>;
  } catch (e) {
    if (e instanceof ConfigError) {
      io.fail(e.message);
      return ExitCode.usage;
    }
    throw e;
  }
  const level = loaded.values.logLevel as string;
  const logTap = new LogTap();
  const primary: pino.DestinationStream =
    options.logDestination ??
    (loaded.values.logFormat === 'text' ? textLogStream((t) => void process.stderr.write(t)) : pino.destination({ fd: 2, sync: true }));
  let logFile: string | undefined;
  try {
    logFile = def.logFile?.(loaded.values);
  } catch {
    logFile = undefined;
  }
  const streams: { stream: pino.DestinationStream; level: pino.Level }[] = [
    { stream: primary, level: 'trace' },
    { stream: logTap, level: 'trace' },
  ];
  if (logFile) {
    try {
      streams.push({ stream: new RotatingFileSink(logFile), level: 'trace' });
    } catch (e) {
      io.fail(`cannot write the log file ${logFile}: ${messageOf(e)}`);
      return ExitCode.failure;
    }
  }
  const logger = pino(
    { name: def.name, level, redact: { paths: ['token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' } },
    pino.multistream(streams),
  );
  const controller = new AbortController();
  const ctx: AppContext<Record<string, unknown>> = {
    config: loaded.values,
    origins: loaded.origins,
    logger,
    signal: controller.signal,
    args: cmd.args,
    env: options.env,
    stdout: io.out,
    stdoutIsTTY: io.stdoutIsTTY,
    logTap,
  };

  // Signals are watched before `start` runs, so one that arrives during start-up is not lost.
  const shutdown = options.handleSignals === false ? undefined : watchSignals(controller, logger);
  try {
    let started: AppHandle | number | void;
    try {
      started = await def.start(ctx);
    } catch (e) {
      // The person reads one line; the log keeps the code, and the stack only at debug.
      // Under `error`, not `err`: pino's err serializer would add the stack back.
      logger.error({ error: errorSummary(e, logger.isLevelEnabled('debug')) }, 'failed to start');
      io.fail(messageOf(e));
      return exitCodeOf?.(e) ?? ExitCode.failure;
    }
    if (typeof started === 'number') return started;
    if (!started || !shutdown) return ExitCode.ok;
    const handle = started;
    const signal = await shutdown.next;
    if (signal === undefined) return ExitCode.ok;
    logger.info({ signal }, 'shutting down');
    return await closeWithDeadline(handle, logger, options.shutdownTimeoutMs ?? 10_000, shutdown.next);
  } finally {
    shutdown?.dispose();
  }
}

interface SignalWatch {
  /** The first signal; later awaits of the same property get the second one. */
  readonly next: Promise<NodeJS.Signals | undefined>;
  dispose(): void;
}

/** Turns SIGTERM/SIGINT into promises and keeps the process alive until disposed. */
function watchSignals(controller: AbortController, logger: Logger): SignalWatch {
  const queue: ((s: NodeJS.Signals | undefined) => void)[] = [];
  let count = 0;
  let reads = 0;
  let first!: (s: NodeJS.Signals | undefined) => void;
  let second!: (s: NodeJS.Signals | undefined) => void;
  const firstP = new Promise<NodeJS.Signals | undefined>((r) => (first = r));
  const secondP = new Promise<NodeJS.Signals | undefined>((r) => (second = r));
  queue.push(first, second);
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) controller.abort();
    else logger.warn({ signal }, 'second signal: exiting now');
    queue.shift()?.(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A long-running app is alive until it is told to stop, even while it waits on nothing.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return {
    // The first read is the first signal (even one that came during start-up, already
    // resolved); every later read is the second.
    get next() {
      reads += 1;
      return reads === 1 ? firstP : secondP;
    },
    dispose() {
      clearInterval(keepAlive);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      for (const r of queue.splice(0)) r(undefined);
    },
  };
}

/** Graceful close racing a deadline and a second signal. */
async function closeWithDeadline(handle: AppHandle, logger: Logger, timeoutMs: number, secondSignal: Promise<NodeJS.Signals | undefined>): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'graceful shutdown overran its deadline');
      resolve(ExitCode.failure);
    }, timeoutMs);
  });
  const hard = secondSignal.then((s) => (s === 'SIGINT' ? 130 : s ? 143 : new Promise<number>(() => undefined)));
  const graceful = handle.close().then(
    () => {
      logger.info('stopped');
      return ExitCode.ok as number;
    },
    (e: unknown) => {
      logger.error({ err: e }, 'error during shutdown');
      return ExitCode.failure as number;
    },
  );
  try {
    return await Promise.race([graceful, deadline, hard]);
  } finally {
    clearTimeout(timer);
  }
}
