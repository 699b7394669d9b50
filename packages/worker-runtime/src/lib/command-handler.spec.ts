import { mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineDriver } from '@bosun/container-driver';
import { silentLogger } from '@bosun/logger';
import { WORKER_PROTOCOL_VERSION as V, type WorkerToOrchestratorMessage } from '@bosun/protocol';
import { SandboxService } from '@bosun/sandbox';
import { manualClock, type ManualClock } from '@bosun/util';
import { CommandHandler, CommandError } from './command-handler.js';

const sink = { send: (_m: WorkerToOrchestratorMessage) => undefined };

describe('CommandHandler', () => {
  let dir: string;
  let server: Server;
  let sockets: Socket[];
  let connected: Promise<void>;
  let clock: ManualClock;
  let handler: CommandHandler;

  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'bosun-ch-')));
    sockets = [];
    let onConnect!: () => void;
    connected = new Promise((r) => (onConnect = r));
    // An engine that accepts and never answers (a frozen engine).
    server = createServer((s) => {
      sockets.push(s);
      onConnect();
    });
    const socketPath = join(dir, 'engine.sock');
    await new Promise<void>((r) => server.listen(socketPath, r));
    clock = manualClock();
    const driver = new EngineDriver({ socketPath, source: 'test' }, { name: 'podman', version: 'frozen', apiVersion: '1.41' });
    const sandbox = new SandboxService({ driver, clock, allowedRoots: [join(dir, 'root-missing'), dir], callTimeoutMs: 1000, execGraceMs: 500 });
    handler = new CommandHandler({ sandbox, logger: silentLogger });
  });

  afterEach(async () => {
    handler.sandbox.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('replies to container.exec with a timeout error at timeoutMs plus the grace when the engine is frozen', async () => {
    const reply = handler.handle({ v: V, type: 'container.exec', id: 'r1', tenant: 't1', containerId: 'c1', cmd: ['true'], timeoutMs: 5000 }, sink);
    await connected;
    clock.advance(5500);
    expect(await reply).toMatchObject({ v: V, type: 'error', id: 'r1', code: 'timeout', details: { timeoutMs: 5500 } });
  });

  it('replies to container.list with a timeout error naming the real deadline when the engine is frozen', async () => {
    const reply = handler.handle({ v: V, type: 'container.list', id: 'r2', tenant: 't1' }, sink);
    await connected;
    clock.advance(1000);
    const r = await reply;
    expect(r).toMatchObject({ type: 'error', id: 'r2', code: 'timeout' });
    expect((r as { message: string }).message).not.toMatch(/after 0 ms/);
  });

  it('replies forbidden_path without calling the engine when a bind source is a symlink to /', async () => {
    await symlink('/', join(dir, 'x'));
    const r = await handler.handle(
      { v: V, type: 'container.create', id: 'r3', tenant: 't1', workspaceId: 'w1', image: 'img', mounts: [{ source: join(dir, 'x'), target: '/host' }] },
      sink,
    );
    expect(r).toMatchObject({ type: 'error', id: 'r3', code: 'forbidden_path' });
    expect(sockets).toEqual([]);
  });

  it('keeps a registered code of a CommandError and sends an unregistered one as internal', () => {
    expect(handler.errorReply('r4', new CommandError('not_found', 'terminal x not found'))).toMatchObject({ code: 'not_found', message: 'terminal x not found' });
    expect(handler.errorReply('r5', new CommandError('made_up', 'x'))).toMatchObject({ code: 'internal' });
  });
});
