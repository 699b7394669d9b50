import {
  WORKER_PROTOCOL_VERSION,
  WorkerHeartbeatSchema,
  WorkerRegisterSchema,
  type WorkerHeartbeat,
  type WorkerRegister,
} from '@bosun/protocol';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapabilityProbe } from './capability-probe.js';
import { fakeClock, fakeHost, fakeRunner, fakeSi, result } from './fakes.test-util.js';
import type { HeartbeatPayload, RegisterPayload } from './types.js';

// The return annotations are the type-level half of the contract: typecheck fails if
// a payload field stops being assignable to the protocol's message type.
const register = (payload: RegisterPayload): WorkerRegister => ({ v: WORKER_PROTOCOL_VERSION, type: 'worker.register', id: 'r-1', ...payload });
const heartbeat = (payload: HeartbeatPayload): WorkerHeartbeat => ({ v: WORKER_PROTOCOL_VERSION, type: 'worker.heartbeat', ...payload });

describe('payload contract with @bosun/protocol', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'bosun-contract-'));
    for (const name of ['node', 'docker', 'nvidia-smi', 'hung-tool']) {
      await writeFile(join(bin, name), '#!/bin/sh\n');
      await chmod(join(bin, name), 0o755);
    }
  });
  afterAll(() => rm(bin, { recursive: true, force: true }));

  it('parses with WorkerRegisterSchema and WorkerHeartbeatSchema when every optional field is filled', async () => {
    const probe = new CapabilityProbe({
      name: 'gpu-box',
      agentVersion: '0.1.0',
      mode: 'fleet',
      env: { PATH: bin },
      dataDir: '/data',
      engineSockets: [],
      tools: [
        { name: 'node', kind: 'runtime' },
        { name: 'docker', kind: 'tool' },
        { name: 'hung-tool', kind: 'tool' },
      ],
      run: fakeRunner({
        node: result({ stdout: 'v20.20.2' }),
        docker: result({ stdout: 'Docker version 28.2.2, build e6534b4' }),
        'hung-tool': result({ timedOut: true, exitCode: null }),
        'nvidia-smi': result({ stdout: 'NVIDIA A100-SXM4-40GB, 40960 MiB, 535.54.03\n' }),
      }),
      si: fakeSi({ graphics: async () => ({ controllers: [{ vendor: 'AMD', model: 'MI210', vram: 65536.5 }] as never }) }),
      host: fakeHost(),
      clock: fakeClock(),
      containersRunning: async () => 3,
      gatewayStatus: async () => ({ status: 'ok', detail: 'x'.repeat(5000) }),
    });
    const reg = register(await probe.registerPayload());
    expect(reg.capabilities?.gpus).toHaveLength(2);
    expect(reg.capabilities?.tools?.find((t) => t.name === 'hung-tool')?.version).toBe('unknown');
    expect(WorkerRegisterSchema.parse(reg)).toEqual(reg);
    const hb = heartbeat(await probe.heartbeat());
    expect(hb.gatewayStatus).toBe('ok');
    expect(WorkerHeartbeatSchema.parse(hb)).toEqual(hb);
  });

  it('drops a gateway status the protocol does not know when the callback returns one', async () => {
    const probe = new CapabilityProbe({
      name: 'w',
      agentVersion: '0.1.0',
      mode: 'byom',
      env: {},
      host: fakeHost(),
      si: fakeSi(),
      containersRunning: async () => 0,
      gatewayStatus: async () => ({ status: 'sleeping' as never }),
    });
    const hb = heartbeat(await probe.heartbeat());
    expect(hb.gatewayStatus).toBeUndefined();
    expect(WorkerHeartbeatSchema.safeParse(hb).success).toBe(true);
  });

  it('parses with the protocol schemas when probing this machine for real', async () => {
    const probe = new CapabilityProbe({
      name: 'real',
      agentVersion: '0.1.0',
      mode: 'byom',
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      dataDir: tmpdir(),
      containersRunning: async () => 0,
      probeTimeoutMs: 15_000,
    });
    const reg = register(await probe.registerPayload());
    const parsed = WorkerRegisterSchema.safeParse(reg);
    expect(parsed.error?.issues).toBeUndefined();
    const parsedHb = WorkerHeartbeatSchema.safeParse(heartbeat(await probe.heartbeat()));
    expect(parsedHb.error?.issues).toBeUndefined();
    await probe.close();
  });
});
