/** The hub's admin HTTP API, as the page uses it (bearer token from the session). */

/** A worker as `GET /api/workers` lists it (the fields the page shows). */
export interface Worker {
  workerId: string;
  name: string;
  online: boolean;
  info?: { containerEngines?: { name: string; version: string }[] };
  heartbeat?: { cpuUsage?: number; memoryFree?: number; containersRunning?: number };
}

/** A container as `container.list-all` returns it. */
export interface Container {
  containerId: string;
  name?: string;
  tenant: string;
  workspaceId?: string;
  image: string;
  state: string;
}

/** A terminal as `GET /api/terminals` lists it. */
export interface TerminalEntry {
  workerId: string;
  workerOnline: boolean;
  tenant?: string;
  containerId?: string;
  terminalId: string;
  offset: number;
  state: 'alive' | 'ended';
  exitCode?: number | null;
  signal?: string;
  reason?: string;
}

/** An error the hub answered with (`{error:{code,message}}`). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Calls the API with the admin token; resolves with the JSON body or throws {@link ApiError}. */
export async function api<T>(token: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!res.ok) throw new ApiError(json.error?.code ?? 'internal', json.error?.message ?? `HTTP ${res.status}`, res.status);
  return json as T;
}

/** Every worker the hub knows. */
export const listWorkers = (token: string) => api<{ workers: Worker[] }>(token, '/api/workers').then((r) => r.workers);

/** Every bosun container of an online worker. */
export const listContainers = (token: string, workerId: string) =>
  api<{ containers: Container[] }>(token, `/api/workers/${encodeURIComponent(workerId)}/commands`, { type: 'container.list-all' }).then((r) => r.containers);

/** The terminals the hub knows (opened by viewers, or reported by workers). */
export const listTerminals = (token: string) => api<{ terminals: TerminalEntry[] }>(token, '/api/terminals').then((r) => r.terminals);

/** Ends a terminal on its worker (its process and children). */
export const closeTerminal = (token: string, workerId: string, tenant: string, terminalId: string) =>
  api<unknown>(token, `/api/workers/${encodeURIComponent(workerId)}/commands`, { type: 'terminal.close', tenant, terminalId });
