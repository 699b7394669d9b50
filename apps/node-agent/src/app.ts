import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { JwtVerifier } from '@bosun/auth';
import { readPackageVersion, type AppDefinition } from '@bosun/app-shell';
import { defineConfig } from '@bosun/config';
import { exitCodeOfError } from '@bosun/protocol';
import { createTerminalStack } from '@bosun/terminal-service';
import { z } from 'zod';
import { activeWorkspaces, callbackTokenStore, hostMetrics, startCallback, type CallbackLoop } from './lib/callback.js';
import { buildNodeAgentServer } from './lib/server.js';
import { loadOrCreateTls } from './lib/tls.js';

/** The node agent's config. */
export const nodeAgentConfig = defineConfig({
  schema: z.object({
    nodeId: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
    controlPlaneUrl: z.url(),
    host: z.string().default('0.0.0.0'),
    port: z.number().int().min(0).max(65_535).default(8443),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    dataDir: z.string().min(1).default('/var/lib/bosun'),
    dockerHost: z.string().min(1).optional(),
    callbackToken: z.string().min(1).optional(),
    callbackIntervalMs: z.number().int().min(1000).max(86_400_000).default(30_000),
    logRetrievalDefaultLimit: z.number().int().min(1).max(10_000).default(200),
    logRetrievalMaxLimit: z.number().int().min(1).max(10_000).default(1000),
    logReaderTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    logStreamBufferSize: z.number().int().min(0).max(1000).default(100),
    logStreamPingIntervalMs: z.number().int().min(1000).max(3_600_000).default(30_000),
    logStreamPongTimeoutMs: z.number().int().min(1000).max(3_600_000).default(90_000),
  }),
  keys: {
    nodeId: { env: 'NODE_ID', description: 'this node id; management tokens must carry it in their `node` claim' },
    controlPlaneUrl: { env: 'CONTROL_PLANE_URL', description: 'token issuer; its JWKS is read from {CONTROL_PLANE_URL}/.well-known/jwks.json (https unless loopback)' },
    host: { env: 'NODE_AGENT_HOST', description: 'address to listen on' },
    port: { env: 'NODE_AGENT_PORT', description: 'HTTPS + WebSocket port' },
    tlsCert: { env: 'TLS_CERT', description: 'PEM certificate (with TLS_KEY); without both, a self-signed pair is made in DATA_DIR/tls' },
    tlsKey: { env: 'TLS_KEY', description: 'PEM private key of TLS_CERT', secret: true },
    dataDir: { env: 'DATA_DIR', description: 'where the agent keeps its state (TLS pair, terminals, sandboxes)' },
    dockerHost: { env: 'DOCKER_HOST', description: 'container engine address (default: the usual sockets; none → process sandboxes)' },
    callbackToken: {
      env: 'CALLBACK_TOKEN',
      description: 'token from the control plane (hub: POST /api/nodes) for the heartbeat to {CONTROL_PLANE_URL}/api/nodes/callback; refreshed tokens are kept in DATA_DIR/callback-token; without it, no heartbeat',
      secret: true,
    },
    callbackIntervalMs: { env: 'CALLBACK_INTERVAL_MS', description: 'milliseconds between heartbeats (the control plane may change it)' },
    logRetrievalDefaultLimit: { env: 'LOG_RETRIEVAL_DEFAULT_LIMIT', description: 'entries per GET /logs page when the caller gives no limit' },
    logRetrievalMaxLimit: { env: 'LOG_RETRIEVAL_MAX_LIMIT', description: 'most entries a GET /logs page may ask for' },
    logReaderTimeoutMs: { env: 'LOG_READER_TIMEOUT', description: 'deadline of one journalctl read, ms' },
    logStreamBufferSize: { env: 'LOG_STREAM_BUFFER_SIZE', description: 'recent entries /logs/stream sends before the live ones' },
    logStreamPingIntervalMs: { env: 'LOG_STREAM_PING_INTERVAL', description: 'ms between pings on /logs/stream' },
    logStreamPongTimeoutMs: { env: 'LOG_STREAM_PONG_TIMEOUT', description: 'ms without a pong after which /logs/stream is closed' },
  },
});

function hasJournalctl(path: string | undefined): boolean {
  return (path ?? '/usr/bin:/bin').split(':').some((d) => d && existsSync(join(d, 'journalctl')));
}

/** `bosun-node-agent`: HTTPS + WebSocket on :8443, every call authorised by a JWT. */
export const app: AppDefinition<typeof nodeAgentConfig.schema> = {
  name: 'bosun-node-agent',
  description: 'HTTPS + WebSocket node agent: terminals, workspace tabs and logs (workspaces and agent sessions to come), each call authorised by a JWT from the control plane JWKS.',
  version: readPackageVersion(import.meta.url),
  exitCodeOf: exitCodeOfError,
  config: nodeAgentConfig,
  configFile: { env: 'NODE_AGENT_CONFIG' },
  logFile: (config) => join(config.dataDir, 'logs', 'node-agent.log'),
  async start({ logger, config, env, logTap }) {
    const version = readPackageVersion(import.meta.url);
    const verifier = new JwtVerifier({ controlPlaneUrl: config.controlPlaneUrl, nodeId: config.nodeId, logger });
    const tls = await loadOrCreateTls({
      dataDir: config.dataDir,
      ...(config.tlsCert ? { certPath: config.tlsCert } : {}),
      ...(config.tlsKey ? { keyPath: config.tlsKey } : {}),
      logger,
    });
    const stack = await createTerminalStack({ dataDir: config.dataDir, env, logger, ...(config.dockerHost ? { dockerHost: config.dockerHost } : {}) });
    const server = await buildNodeAgentServer({
      tls,
      nodeId: config.nodeId,
      verifier,
      terminals: stack.service,
      driver: stack.driver,
      logger,
      version,
      system: () => ({ hostname: hostname(), driver: stack.driverKind }),
      logs: {
        files: [0, 1, 2, 3].map((i) => join(config.dataDir, 'logs', `node-agent.log${i ? `.${i}` : ''}`)),
        // The journal holds this agent's lines only when systemd runs it (and journalctl is here).
        journal: Boolean(env.INVOCATION_ID) && hasJournalctl(env.PATH),
        tap: logTap,
        defaultLimit: config.logRetrievalDefaultLimit,
        maxLimit: config.logRetrievalMaxLimit,
        readerTimeoutMs: config.logReaderTimeoutMs,
        streamBufferSize: config.logStreamBufferSize,
        pingIntervalMs: config.logStreamPingIntervalMs,
        pongTimeoutMs: config.logStreamPongTimeoutMs,
      },
    });
    // Before listening: a token file open to others stops the start (insecure_file).
    const callbackToken = config.callbackToken ? callbackTokenStore(join(config.dataDir, 'callback-token'), config.callbackToken) : undefined;
    const address = await server.listen({ host: config.host, port: config.port });
    logger.info({ address, tls: tls.source, fingerprint256: tls.fingerprint256, driver: stack.driverKind }, 'node agent ready');
    let heartbeat: CallbackLoop | undefined;
    if (callbackToken) {
      const token = callbackToken;
      heartbeat = startCallback({
        url: `${config.controlPlaneUrl.replace(/\/+$/, '')}/api/nodes/callback`,
        nodeId: config.nodeId,
        token: () => token.get(),
        setToken: (t) => token.set(t),
        intervalMs: config.callbackIntervalMs,
        payload: async () => ({ version, workspaces: activeWorkspaces(stack.service.alive()), metrics: hostMetrics() }),
        logger,
      });
    } else {
      logger.info({}, 'no CALLBACK_TOKEN: running without the callback heartbeat');
    }
    return {
      close: async () => {
        await heartbeat?.stop();
        // Stops accepting, answers 503 on kept-alive sockets, waits for running requests.
        await server.close();
        verifier.close();
        await stack.close();
      },
    };
  },
};
