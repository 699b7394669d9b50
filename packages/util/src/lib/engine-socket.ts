/**
 * Where a Docker-compatible engine may listen. The one list every package uses (the
 * container driver, the capability probe, the engine tools), so that they always agree
 * on which engine "the" engine is.
 */
import { join } from 'node:path';

/** Where an engine may be reached. */
export interface EngineEndpoint {
  /** Unix socket path, for `unix://` hosts. */
  socketPath?: string;
  /** Host and port, for `tcp://` hosts. */
  host?: string;
  port?: number;
  /** Where it came from: `dockerHost`, `DOCKER_HOST`, `docker`, `docker-rootless`, `podman-rootless`, `podman-rootful`. */
  source: string;
}

/** Parses `unix:///path`, `/path` or `tcp://host:port`; undefined for anything else. */
export function parseDockerHost(dockerHost: string, source = 'DOCKER_HOST'): EngineEndpoint | undefined {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length), source };
  if (dockerHost.startsWith('/')) return { socketPath: dockerHost, source };
  const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(dockerHost);
  if (m) return { host: m[1], port: m[2] ? Number(m[2]) : 2375, source };
  return undefined;
}

/**
 * Every candidate endpoint, in the order to try them, without touching the file system:
 * an explicit `dockerHost`, else `DOCKER_HOST` from `env`; then Docker's
 * `/var/run/docker.sock`, rootless Docker's and rootless Podman's sockets under
 * `XDG_RUNTIME_DIR`, and rootful Podman's `/run/podman/podman.sock`. Duplicates removed.
 */
export function engineSocketCandidates(env: Record<string, string | undefined>, dockerHost?: string): EngineEndpoint[] {
  const out: EngineEndpoint[] = [];
  const explicit = dockerHost ?? env['DOCKER_HOST'];
  if (explicit) {
    const ep = parseDockerHost(explicit, dockerHost ? 'dockerHost' : 'DOCKER_HOST');
    if (ep) out.push(ep);
  }
  const known: [string, string][] = [['/var/run/docker.sock', 'docker']];
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  if (runtimeDir) known.push([join(runtimeDir, 'docker.sock'), 'docker-rootless'], [join(runtimeDir, 'podman/podman.sock'), 'podman-rootless']);
  known.push(['/run/podman/podman.sock', 'podman-rootful']);
  for (const [socketPath, source] of known) if (!out.some((e) => e.socketPath === socketPath)) out.push({ socketPath, source });
  return out;
}
