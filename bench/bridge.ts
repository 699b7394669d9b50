/**
 * The one-process reference of bench/terminal.ts: a plain `ws` server that spawns a
 * node-pty per connection and relays it, with nothing else on the path.
 *
 * Connection URL: `ws://127.0.0.1:<port>/?script=<sh -c script>&cols=200&rows=50`; without
 * `script` it spawns an interactive `sh`. PTY output goes out as binary frames, binary
 * frames in are written to the PTY; per-message deflate is off. The socket closes when
 * the PTY exits; the PTY is killed when the socket closes.
 *
 * Run: `node --import tsx bench/bridge.ts` — prints `{"port":N}` on stdout once listening.
 */
import nodePty from 'node-pty';
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const script = q.get('script');
  const pty = nodePty.spawn('sh', script ? ['-c', script] : [], {
    cols: Number(q.get('cols') ?? 200),
    rows: Number(q.get('rows') ?? 50),
    encoding: null,
    env: process.env as Record<string, string>,
  });
  // With `encoding: null` node-pty hands out Buffers, whatever its typings say.
  pty.onData((d) => ws.send(d as unknown as Buffer, { binary: true }));
  pty.onExit(() => ws.close(1000, 'exited'));
  ws.on('message', (data, isBinary) => {
    if (isBinary) pty.write(data as Buffer);
  });
  ws.on('close', () => {
    try {
      pty.kill();
    } catch {
      // already gone
    }
  });
});

wss.on('listening', () => process.stdout.write(`${JSON.stringify({ port: (wss.address() as { port: number }).port })}\n`));
process.on('SIGTERM', () => process.exit(0));
