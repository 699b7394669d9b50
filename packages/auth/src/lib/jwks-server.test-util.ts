/**
 * Test servers: a real JWKS on 127.0.0.1 that counts its requests, and a server that
 * accepts connections and never answers. Plus a logger that remembers every line.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@bosun/logger';

/** A JWKS served at `{url}/.well-known/jwks.json`. */
export interface JwksServer {
  url: string;
  /** Requests for the JWKS so far. */
  requests(): number;
  /** What the next request gets. */
  setDocument(doc: unknown): void;
  /** Answer this status instead of the document (undefined = 200 again). */
  setStatus(status: number | undefined): void;
  close(): Promise<void>;
}

export async function startJwksServer(doc: unknown = { keys: [] }): Promise<JwksServer> {
  let current = doc;
  let status: number | undefined;
  let count = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    count += 1;
    if (status !== undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(current));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    setDocument: (d) => {
      current = d;
    },
    setStatus: (s) => {
      status = s;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A TCP server that accepts and never writes a byte. */
export async function startSilentServer(): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  let accepted = 0;
  server.on('connection', () => {
    accepted += 1;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A logger that keeps every line as JSON text, to check what was (not) logged. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (obj: object | string, msg?: string) => {
    lines.push(JSON.stringify({ level, obj, msg }));
  };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
