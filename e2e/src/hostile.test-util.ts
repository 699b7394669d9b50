/**
 * Helpers of hostile.spec.ts: a hub with its admin API, workers as processes, a viewer
 * client of `/ws/terminal` that keeps every byte and control frame with its offset, and
 * the process and socket facts (RSS, kernel socket queues) the flood case reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort, spawnApp, type RunningApp } from './spawn-app.test-util.js';

/** A JSON answer of the hub's HTTP API. */
export interface ApiReply {
  status: number;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A hub process and its admin API. */
export interface Hub {
  app: RunningApp;
  port: number;
  admin: string;
  /** Calls the admin API (GET without `body`, else `method` default POST). */
  api(path: string, init?: { method?: string; body?: unknown }): Promise<ApiReply>;
  /** `POST /api/workers/:id/commands`. */
  command(workerId: string, body: Record<string, unknown>): Promise<ApiReply>;
  /** Issues a worker token: `{ workerId, token }`. */
  issue(name: string): Promise<{ workerId: string; token: string }>;
  /** The worker as `GET /api/workers` lists it (undefined when not listed). */
  worker(workerId: string): Promise<Record<string, any> | undefined>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * Spawns a worker dialling this hub with `token`, keeping its state in `dataDir` (`env`
   * is added), and resolves once `ready` holds for its listing (default: online; 60 s).
   * Starts run one at a time.
   */
  launchWorker(o: { workerId: string; token: string; dataDir: string; env?: NodeJS.ProcessEnv; ready?: (listing: Record<string, any>) => boolean }): Promise<RunningApp>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Starts a hub keeping its state in `dataDir` and waits until it is ready. */
export async function startHub(dataDir: string): Promise<Hub> {
  let starting: Promise<unknown> = Promise.resolve();
  const port = await freePort();
  const app = spawnApp('hub', [], { HUB_PORT: String(port), HUB_DATA_DIR: dataDir });
  await app.waitFor(/hub ready/, 30_000);
  const admin = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const api: Hub['api'] = async (path, init = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${admin}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(120_000),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as ApiReply['body'] };
  };
  const worker: Hub['worker'] = async (workerId) => (await api('/api/workers')).body.workers.find((w: { workerId: string }) => w.workerId === workerId);
  return {
    app,
    port,
    admin,
    api,
    command: (workerId, body) => api(`/api/workers/${workerId}/commands`, { body }),
    async issue(name) {
      const r = await api('/api/workers', { body: { name } });
      if (r.status !== 201) throw new Error(`issuing a worker token: ${r.status} ${JSON.stringify(r.body)}`);
      return { workerId: r.body.workerId, token: r.body.token };
    },
    worker,
    launchWorker(o) {
      const launched = starting.then(async () => {
        const app = spawnApp('worker', [], { ORCHESTRATOR_WS_URL: `ws://127.0.0.1:${port}/ws/worker`, WORKER_TOKEN: o.token, DATA_DIR: o.dataDir, ...o.env });
        const deadline = Date.now() + 120_000;
        while (app.child.exitCode === null && app.child.signalCode === null && Date.now() < deadline) {
          const listing = await worker(o.workerId).catch(() => undefined);
          if (listing && (o.ready ? o.ready(listing) : listing.online)) return app;
          await new Promise((r) => setTimeout(r, 200));
        }
        if (app.child.exitCode === null) app.child.kill('SIGKILL');
        throw new Error(`worker ${o.workerId} did not come online; its log:\n${app.stderr().slice(-4000)}`);
      });
      starting = launched.catch(() => undefined);
      return launched;
    },
  };
}

/** A control frame of the viewer protocol (hub → viewer). */
export interface ViewerControl {
  type: string;
  offset?: number;
  code?: string;
  [k: string]: unknown;
}

/** Options of {@link ViewerClient.connect}. */
export interface ViewerOptions {
  port: number;
  admin: string;
  worker: string;
  tenant: string;
  terminal: string;
  /** Offset to resume at (default 0). */
  offset?: number;
  /** Keep the output bytes (default true); false counts them and keeps only a tail. */
  keep?: boolean;
}

/**
 * A viewer of `/ws/terminal` that records what the hub sent it: output bytes (all, or a
 * count and a tail), control frames in order, and how the socket closed.
 */
export class ViewerClient {
  /** Output bytes received on this connection (when kept). */
  readonly chunks: Buffer[] = [];
  /** Control frames received, in order. */
  readonly controls: ViewerControl[] = [];
  /** Output bytes received on this connection. */
  received = 0;
  /** Offset this connection asked for. */
  readonly start: number;
  /** The offset after the last byte received (moved by `snapshot` and `resync` frames too). */
  offset: number;
  /** The last 256 output bytes, as text (to look for markers when bytes are not kept). */
  tail = '';
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly ws: WebSocket,
    o: ViewerOptions,
  ) {
    this.start = o.offset ?? 0;
    this.offset = this.start;
    const keep = o.keep ?? true;
    ws.on('message', (d: Buffer, isBinary) => {
      if (isBinary) {
        this.received += d.byteLength;
        this.offset += d.byteLength;
        if (keep) this.chunks.push(Buffer.from(d));
        this.tail = (this.tail + d.toString('latin1')).slice(-256);
      } else {
        const c = JSON.parse(d.toString()) as ViewerControl;
        this.controls.push(c);
        if ((c.type === 'snapshot' || c.type === 'resync') && typeof c.offset === 'number') this.offset = c.offset;
      }
      for (const l of [...this.listeners]) l();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const l of [...this.listeners]) l();
      }),
    );
  }

  /** Opens a viewer socket with the admin token as subprotocol. */
  static connect(o: ViewerOptions): ViewerClient {
    const q = new URLSearchParams({ worker: o.worker, tenant: o.tenant, terminal: o.terminal, offset: String(o.offset ?? 0) });
    const ws = new WebSocket(`ws://127.0.0.1:${o.port}/ws/terminal?${q}`, ['bosun.v1', `bearer.${o.admin}`], { perMessageDeflate: false });
    return new ViewerClient(ws, o);
  }

  /** Output bytes received on this connection, joined. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The first control frame of `type`. */
  control(type: string): ViewerControl | undefined {
    return this.controls.find((c) => c.type === type);
  }

  /** Resolves once `test` holds after some frame (or the close); rejects after `timeoutMs` (default 20 s) naming `what`. */
  when(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`viewer: timed out waiting for ${what}; controls: ${JSON.stringify(this.controls).slice(0, 2000)}`));
      }, timeoutMs);
      const check = () => {
        if (!test()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
    });
  }

  /** Resolves with the first control frame of `type`. */
  async waitControl(type: string, timeoutMs?: number): Promise<ViewerControl> {
    let found: ViewerControl | undefined;
    await this.when(`a ${type} frame`, () => (found = this.control(type)) !== undefined, timeoutMs);
    return found as ViewerControl;
  }

  /** Stops reading the socket: the kernel buffers fill and the hub's sender backs up. */
  pauseReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  /** Reads the socket again. */
  resumeReading(): void {
    (this.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  }

  /** Local TCP port of this viewer's socket. */
  get localPort(): number {
    return (this.ws as unknown as { _socket: { localPort: number } })._socket.localPort;
  }
}

/** Resident set size of process `pid` in bytes (`VmRSS` of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * Bytes the kernel holds on one loopback TCP connection between 127.0.0.1 ports:
 * unread in the client's receive queue plus unsent in the server's send queue
 * (from /proc/net/tcp).
 */
export function kernelQueuedBytes(clientPort: number, serverPort: number): number {
  const hexPort = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  const local = (p: number) => `0100007F:${hexPort(p)}`;
  let total = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, from, to, , queues] = line.trim().split(/\s+/);
    if (!queues) continue;
    const [tx = 0, rx = 0] = queues.split(':').map((h) => parseInt(h, 16));
    if (from === local(clientPort) && to === local(serverPort)) total += rx;
    if (from === local(serverPort) && to === local(clientPort)) total += tx;
  }
  return total;
}
