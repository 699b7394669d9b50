/**
 * The three transports the conformance suite runs against, each as a connected pair
 * of frame streams: in memory, a real `ws` server and client on 127.0.0.1, and a real
 * ssh2 server and client on 127.0.0.1 (ed25519 keys made in the test) whose session
 * channel, opened by a `bosun-rpc` subsystem request, carries the frames.
 */
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import { WebSocket, WebSocketServer } from 'ws';
import { DuplexFrameStream } from '../lib/duplex-frame-stream.js';
import { CLOSE_CODES, type FrameStream } from '../lib/frame-stream.js';
import { createMemoryFramePair } from '../lib/memory-frame-stream.js';
import { WebSocketFrameStream, webSocketOptions } from '../lib/websocket-frame-stream.js';

/** Two connected frame streams and a way to tear them down. */
export interface Link {
  /** The client end. */
  a: FrameStream;
  /** The server end. */
  b: FrameStream;
  /** Kills the connection under `a` without any close frame: the peer vanished. */
  sever(): void;
  /** Releases sockets and servers. */
  dispose(): Promise<void>;
}

/** Options every link factory takes. */
export interface LinkOptions {
  /** Largest frame both ends accept (default the streams' default). */
  maxFrameBytes?: number;
}

/** Makes a fresh {@link Link}. */
export type MakeLink = (options?: LinkOptions) => Promise<Link>;

/** In-memory pair. */
export const memoryLink: MakeLink = async (options = {}) => {
  const [a, b] = createMemoryFramePair(options);
  return { a, b, sever: () => a.close(CLOSE_CODES.abnormal, 'severed'), dispose: async () => a.close() };
};

/** A real WebSocket server and client on 127.0.0.1, port 0. */
export const webSocketLink: MakeLink = async (options = {}) => {
  const ws = webSocketOptions(options.maxFrameBytes);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...ws });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const accepted = new Promise<FrameStream>((resolve) =>
    server.once('connection', (socket) => resolve(new WebSocketFrameStream(socket, { maxFrameBytes: ws.maxPayload }))),
  );
  const client = new WebSocket(`ws://127.0.0.1:${port}`, ws);
  await once(client, 'open');
  const b = await accepted;
  const a = new WebSocketFrameStream(client, { maxFrameBytes: ws.maxPayload });
  return {
    a,
    b,
    sever: () => client.terminate(),
    dispose: async () => {
      client.terminate();
      for (const c of server.clients) c.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

const SUBSYSTEM = 'bosun-rpc';

/**
 * An ed25519 key pair ssh2 can read back. ssh2 1.17's `generateKeyPairSync('ed25519')`
 * now and then emits a public key its own `parseKey` calls malformed; draw again then.
 */
function ed25519Pair(): { private: string; public: string } {
  const { utils } = ssh2;
  for (let i = 0; i < 16; i++) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.public) instanceof Error) && !(utils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new Error('ssh2 produced no readable ed25519 key pair in 16 tries');
}

/** A real ssh2 server and client on 127.0.0.1; the frames ride a `bosun-rpc` subsystem channel. */
export const sshLink: MakeLink = async (options = {}) => {
  const { Server, Client, utils } = ssh2;
  const hostKey = ed25519Pair();
  const userKey = ed25519Pair();
  const allowed = utils.parseKey(userKey.public);
  if (allowed instanceof Error) throw allowed;
  const hostPublic = utils.parseKey(hostKey.public);
  if (hostPublic instanceof Error) throw hostPublic;
  const max = options.maxFrameBytes;

  let serverChannel: (d: Duplex) => void = () => undefined;
  const accepted = new Promise<Duplex>((resolve) => (serverChannel = resolve));
  const server = new Server({ hostKeys: [hostKey.private] }, (conn) => {
    conn.on('authentication', (ctx) => {
      const ok =
        ctx.method === 'publickey' &&
        ctx.key.algo === allowed.type &&
        Buffer.compare(ctx.key.data, allowed.getPublicSSH()) === 0 &&
        (ctx.signature === undefined || (ctx.blob !== undefined && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true));
      if (ok) ctx.accept();
      else ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('subsystem', (acceptSub, reject, info) => {
          if (info.name !== SUBSYSTEM) return reject();
          serverChannel(acceptSub());
        });
      });
    });
    conn.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const sock: Socket = connect(port, '127.0.0.1');
  const client = new Client();
  client.on('error', () => undefined);
  const ready = once(client, 'ready');
  client.connect({
    sock,
    username: 'conformance',
    privateKey: userKey.private,
    hostVerifier: (key: Buffer) => Buffer.compare(key, hostPublic.getPublicSSH()) === 0,
  });
  await ready;
  const clientChannel = await new Promise<Duplex>((resolve, reject) =>
    client.subsys(SUBSYSTEM, (err, channel) => (err ? reject(err) : resolve(channel))),
  );
  const a = new DuplexFrameStream(clientChannel, { maxFrameBytes: max });
  const b = new DuplexFrameStream(await accepted, { maxFrameBytes: max });
  return {
    a,
    b,
    sever: () => sock.destroy(),
    dispose: async () => {
      client.end();
      sock.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
