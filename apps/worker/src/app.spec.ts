import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@bosun/config';
import { workerConfig } from './app.js';

describe('worker config', () => {
  it('reads the operator env names ORCHESTRATOR_WS_URL, WORKER_NAME, AGENT_MODE, DOCKER_HOST, PODMAN_PATH, DATA_DIR, SECURITY_FLOOR', () => {
    const { values } = loadConfig(workerConfig, {
      env: {
        ORCHESTRATOR_WS_URL: 'wss://hub.example/ws/worker',
        WORKER_NAME: 'gpu-box',
        AGENT_MODE: 'fleet',
        DOCKER_HOST: 'unix:///run/podman/podman.sock',
        PODMAN_PATH: '/usr/bin/podman',
        DATA_DIR: '/srv/bosun',
        SECURITY_FLOOR: 'strict',
      },
    });
    expect(values).toMatchObject({
      orchestratorUrl: 'wss://hub.example/ws/worker',
      workerName: 'gpu-box',
      mode: 'fleet',
      dockerHost: 'unix:///run/podman/podman.sock',
      podmanPath: '/usr/bin/podman',
      dataDir: '/srv/bosun',
      securityFloor: 'strict',
    });
  });

  it('takes flags over env over the AGENT_CONFIG file over defaults', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bosun-worker-')), 'agent.yaml');
    writeFileSync(file, 'workerName: from-file\nsecurityFloor: standard\ndataDir: /from/file\ntoken: t0k3n\n');
    const { values, origins } = loadConfig(workerConfig, {
      flags: { workerName: 'from-flag' },
      env: { WORKER_NAME: 'from-env', DATA_DIR: '/from/env' },
      file: { path: file, required: true },
    });
    expect(values.workerName).toBe('from-flag');
    expect(values.dataDir).toBe('/from/env');
    expect(values.securityFloor).toBe('standard');
    expect(values.token).toBe('t0k3n');
    expect(values.heartbeatIntervalMs).toBe(10_000);
    expect(origins.heartbeatIntervalMs.kind).toBe('default');
  });

  it('refuses an http orchestrator URL, naming the env var', () => {
    expect(() => loadConfig(workerConfig, { env: { ORCHESTRATOR_WS_URL: 'http://hub/ws' } })).toThrow(/orchestratorUrl from env ORCHESTRATOR_WS_URL/);
  });

  it('refuses an unknown security floor, naming SECURITY_FLOOR', () => {
    expect(() => loadConfig(workerConfig, { env: { SECURITY_FLOOR: 'paranoid' } })).toThrow(/securityFloor from env SECURITY_FLOOR/);
  });
});
