import { describe, expect, it } from 'vitest';
import { fakeRunner, fakeSi, recordingLogger, result } from './fakes.test-util.js';
import { NVIDIA_SMI_ARGS, parseNvidiaSmi, probeGpus } from './gpus.js';
import { systeminformationFacade } from './system-info.js';

const SMI = 'NVIDIA A100-SXM4-40GB, 40960 MiB, 535.54.03\nTesla T4, 15360 MiB, 535.54.03\n';

describe('parseNvidiaSmi', () => {
  it('reads one GPU per line with memory in bytes when given CSV without header', () => {
    expect(parseNvidiaSmi(SMI)).toEqual([
      { vendor: 'NVIDIA', model: 'NVIDIA A100-SXM4-40GB', memoryBytes: 40960 * 1024 ** 2, driver: '535.54.03' },
      { vendor: 'NVIDIA', model: 'Tesla T4', memoryBytes: 15360 * 1024 ** 2, driver: '535.54.03' },
    ]);
  });

  it('omits memory and driver when nvidia-smi prints [N/A]', () => {
    expect(parseNvidiaSmi('GRID vGPU, [N/A], [N/A]\n\ngarbage\n')).toEqual([{ vendor: 'NVIDIA', model: 'GRID vGPU' }]);
  });
});

describe('probeGpus', () => {
  const controllers = [
    { vendor: 'NVIDIA Corporation', model: 'GA100', vram: 40960, name: undefined, driverVersion: undefined, memoryTotal: undefined },
    { vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]', model: 'Instinct MI210', vram: 65536, driverVersion: '6.2' },
    { vendor: 'Cirrus Logic', model: 'GD 5446', vram: 4 },
    { vendor: 'Red Hat, Inc.', model: 'Virtio 1.0 GPU', vram: null },
  ];

  it('prefers nvidia-smi for NVIDIA cards and keeps other real GPUs when both sources answer', async () => {
    const run = fakeRunner({ 'nvidia-smi': result({ stdout: 'NVIDIA A100-SXM4-40GB, 40960 MiB, 535.54.03\n' }) });
    const gpus = await probeGpus({
      si: fakeSi({ graphics: async () => ({ controllers: controllers as never }) }),
      nvidiaSmi: '/usr/bin/nvidia-smi',
      run,
      env: {},
      timeoutMs: 500,
      logger: recordingLogger(),
    });
    expect(gpus).toEqual([
      { vendor: 'NVIDIA', model: 'NVIDIA A100-SXM4-40GB', memoryBytes: 40960 * 1024 ** 2, driver: '535.54.03' },
      { vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]', model: 'Instinct MI210', memoryBytes: 65536 * 1024 ** 2, driver: '6.2' },
    ]);
    expect(run.calls).toEqual([{ file: '/usr/bin/nvidia-smi', args: NVIDIA_SMI_ARGS }]);
  });

  it('keeps graphics() NVIDIA entries when nvidia-smi fails', async () => {
    const gpus = await probeGpus({
      si: fakeSi({ graphics: async () => ({ controllers: controllers.slice(0, 1) as never }) }),
      nvidiaSmi: '/usr/bin/nvidia-smi',
      run: fakeRunner({ 'nvidia-smi': result({ exitCode: 9, stderr: 'NVIDIA-SMI has failed' }) }),
      env: {},
      timeoutMs: 500,
      logger: recordingLogger(),
    });
    expect(gpus).toEqual([{ vendor: 'NVIDIA Corporation', model: 'GA100', memoryBytes: 40960 * 1024 ** 2 }]);
  });

  it('returns [] when graphics() rejects and there is no nvidia-smi', async () => {
    const gpus = await probeGpus({
      si: fakeSi({ graphics: () => Promise.reject(new Error('lspci missing')) }),
      run: fakeRunner({}),
      env: {},
      timeoutMs: 500,
      logger: recordingLogger(),
    });
    expect(gpus).toEqual([]);
  });

  it('returns [] when run on this GPU-less machine', async () => {
    const gpus = await probeGpus({ si: systeminformationFacade(), run: fakeRunner({}), env: {}, timeoutMs: 3000, logger: recordingLogger() });
    expect(gpus).toEqual([]);
  });
});
