import { stat } from 'node:fs/promises';
import { engineSocketCandidates as sharedCandidates, systemClock, type Clock } from '@bosun/util';
import { request } from 'node:http';
import type { Logger } from './logger.js';
import type { ContainerEngineInfo, ToolInfo } from './types.js';
import { UNKNOWN_VERSION } from './types.js';

/**
 * Unix sockets where a Docker-compatible engine may listen, in the order the container
 * driver tries them (the one list in `@bosun/util`; only `unix://` endpoints).
 */
export function engineSocketCandidates(env: Record<string, string | undefined>): string[] {
  return [...new Set(sharedCandidates(env).flatMap((e) => (e.socketPath ? [e.socketPath] : [])))];
}

interface VersionBody {
  Version?: unknown;
  Components?: Array<{ Name?: unknown; Version?: unknown }>;
}

/**
 * Asks the engine on `socket` for `GET /version`, with a hard deadline.
 * Resolves `undefined` when nothing answers a 2xx JSON body in time. Podman is
 * recognised by its `Podman Engine` component (its compat API says it is Docker
 * otherwise).
 *
 * @param clock - timer of the deadline (default `systemClock` from `@bosun/util`)
 */
export function queryEngineSocket(socket: string, timeoutMs: number, clock: Clock = systemClock): Promise<ContainerEngineInfo | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: ContainerEngineInfo | undefined): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      resolve(value);
    };
    const req = request({ socketPath: socket, path: '/version', method: 'GET', headers: { host: 'localhost' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => finish(undefined));
      res.on('end', () => {
        if (!res.statusCode || res.statusCode < 200 || res.statusCode >= 300) return finish(undefined);
        try {
          finish(engineFromVersion(JSON.parse(Buffer.concat(chunks).toString('utf8')) as VersionBody, socket));
        } catch {
          finish(undefined);
        }
      });
    });
    // Covers a peer that accepts and then never answers, as well as a slow connect.
    const timer = clock.setTimeout(() => {
      req.destroy();
      finish(undefined);
    }, timeoutMs);
    req.on('error', () => finish(undefined));
    req.end();
  });
}

function engineFromVersion(body: VersionBody, socket: string): ContainerEngineInfo | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const podman = body.Components?.find((c) => typeof c.Name === 'string' && /podman/i.test(c.Name));
  if (podman) {
    const version = typeof podman.Version === 'string' ? podman.Version : String(body.Version ?? UNKNOWN_VERSION);
    return { name: 'podman', version, socket };
  }
  if (typeof body.Version !== 'string') return undefined;
  return { name: 'docker', version: body.Version, socket };
}

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}

/**
 * Queries every candidate socket concurrently; returns the engines that answered,
 * in candidate order. Paths that are not sockets are skipped silently.
 *
 * @param clock - timers of the deadlines (default `systemClock` from `@bosun/util`)
 */
export async function probeEngineSockets(
  sockets: readonly string[],
  timeoutMs: number,
  logger: Logger,
  clock: Clock = systemClock,
): Promise<ContainerEngineInfo[]> {
  const answered = await Promise.all(
    sockets.map(async (socket) => {
      if (!(await isSocket(socket))) return undefined;
      const engine = await queryEngineSocket(socket, timeoutMs, clock);
      if (!engine) logger.debug({ socket }, 'engine socket did not answer /version');
      return engine;
    }),
  );
  return answered.filter((e): e is ContainerEngineInfo => e !== undefined);
}

/**
 * Container engines present: every engine that answered on a socket (name,
 * daemon version, socket), then each `docker`/`podman` CLI whose engine name did
 * not answer on a socket (name and CLI version, no socket: Podman runs
 * daemonless, and a Docker CLI may talk to a remote host).
 */
export function mergeContainerEngines(
  answered: readonly ContainerEngineInfo[],
  clis: readonly ToolInfo[],
): ContainerEngineInfo[] {
  const engines = [...answered];
  const seen = new Set(engines.map((e) => e.name));
  for (const cli of clis) {
    if ((cli.name === 'docker' || cli.name === 'podman') && !seen.has(cli.name)) {
      seen.add(cli.name);
      engines.push({ name: cli.name, version: cli.version });
    }
  }
  return engines;
}
