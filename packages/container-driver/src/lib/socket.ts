/**
 * Finding and pinging a Docker-compatible engine socket. Pure where possible:
 * the environment and the file system are passed in.
 */
import { request } from 'node:http';
import { DriverError } from './errors.js';

import { engineSocketCandidates, parseDockerHost, systemClock, type Clock, type EngineEndpoint } from '@bosun/util';

export { parseDockerHost, type EngineEndpoint };

/** Inputs of {@link findEngineSockets}. */
export interface FindSocketOptions {
  /** Environment to read `DOCKER_HOST` and `XDG_RUNTIME_DIR` from (pass `process.env` from an app). Default `{}`. */
  env?: Record<string, string | undefined>;
  /** An explicit host (`unix:///path`, `/path` or `tcp://h:p`); wins over `env`. */
  dockerHost?: string;
  /** Tells whether a path exists. Required: this function does no I/O of its own. */
  exists: (path: string) => boolean;
}

/**
 * The candidate endpoints in order (the one list in `@bosun/util`): an explicit
 * `dockerHost` or `DOCKER_HOST` (taken as given, even when its socket is missing: the
 * caller asked for it), then those of the well-known sockets that exist. Empty when none exists.
 */
export function findEngineSockets(opts: FindSocketOptions): EngineEndpoint[] {
  return engineSocketCandidates(opts.env ?? {}, opts.dockerHost).filter(
    (e) => e.source === 'dockerHost' || e.source === 'DOCKER_HOST' || (e.socketPath !== undefined && opts.exists(e.socketPath)),
  );
}

/** The first endpoint of {@link findEngineSockets}, or undefined. */
export function findEngineSocket(opts: FindSocketOptions): EngineEndpoint | undefined {
  return findEngineSockets(opts)[0];
}

/** Engine identity from `GET /version`. */
export interface EngineVersion {
  name: 'docker' | 'podman';
  version: string;
  apiVersion: string;
}

/** One GET on the engine with a deadline: status and body, or `engine_unavailable` / `timeout`. */
function engineGet(endpoint: EngineEndpoint, path: string, what: string, timeoutMs: number, clock: Clock): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: endpoint.socketPath,
        host: endpoint.socketPath ? undefined : endpoint.host,
        port: endpoint.socketPath ? undefined : endpoint.port,
        path,
        method: 'GET',
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          clock.clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    const timer = clock.setTimeout(() => {
      req.destroy();
      reject(DriverError.timeout(what, timeoutMs));
    }, timeoutMs);
    req.on('error', (err) => {
      clock.clearTimeout(timer);
      reject(DriverError.engineUnavailable(`no engine at ${endpoint.socketPath ?? `${endpoint.host}:${endpoint.port}`}`, err));
    });
    req.end();
  });
}

/**
 * Checks an engine is alive with `GET /_ping` within `timeoutMs` (default 2 000 ms), then
 * reads who it is from `GET /version` within `versionTimeoutMs` (default 30 000 ms):
 * Podman computes `/version` for about a second even when idle, so it is no liveness
 * probe. Rejects with `engine_unavailable` or `timeout`.
 *
 * @param clock - timer of the deadlines (default `systemClock` from `@bosun/util`)
 */
export async function pingEngine(endpoint: EngineEndpoint, timeoutMs = 2000, clock: Clock = systemClock, versionTimeoutMs = Math.max(timeoutMs, 30_000)): Promise<EngineVersion> {
  const ping = await engineGet(endpoint, '/_ping', 'engine ping', timeoutMs, clock);
  if (ping.status !== 200) throw DriverError.engineUnavailable(`engine answered ${ping.status} to /_ping`);
  const version = await engineGet(endpoint, '/version', 'engine /version', versionTimeoutMs, clock);
  if (version.status !== 200) throw DriverError.engineUnavailable(`engine answered ${version.status} to /version`);
  try {
    const v = JSON.parse(version.body) as { Version?: string; ApiVersion?: string; Components?: { Name?: string }[] };
    const podman = v.Components?.some((c) => /podman/i.test(c.Name ?? '')) ?? false;
    return { name: podman ? 'podman' : 'docker', version: v.Version ?? 'unknown', apiVersion: v.ApiVersion ?? '' };
  } catch (err) {
    throw DriverError.engineUnavailable('engine sent an unreadable /version', err);
  }
}

/** An engine's non-2xx answer, shaped like dockerode's errors so `toDriverError` maps both alike. */
export interface EngineHttpError extends Error {
  statusCode: number;
  json: { message?: string } | null;
}

/**
 * `GET path` on the engine and its JSON body, without dockerode: the worker's idle
 * reads (the container count of every heartbeat) go through here so that dockerode,
 * and the ssh2 and gRPC code it loads, stay unloaded until a real command needs them.
 * Rejects with the socket error (`ECONNREFUSED`…), an `AbortError` when `signal`
 * aborts, or an {@link EngineHttpError} for a non-2xx answer.
 */
export function engineGetJson<T>(endpoint: EngineEndpoint, path: string, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: endpoint.socketPath,
        host: endpoint.socketPath ? undefined : endpoint.host,
        port: endpoint.socketPath ? undefined : endpoint.port,
        path,
        method: 'GET',
        signal,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('error', reject);
        res.on('end', () => {
          let json: unknown = null;
          try {
            json = body ? JSON.parse(body) : null;
          } catch (err) {
            if ((res.statusCode ?? 0) < 300) return reject(err);
          }
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return resolve(json as T);
          const message = (json as { message?: string } | null)?.message ?? body;
          const err = Object.assign(new Error(`(HTTP code ${res.statusCode}) ${message}`), {
            statusCode: res.statusCode ?? 0,
            json: json as { message?: string } | null,
          });
          reject(err satisfies EngineHttpError);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
