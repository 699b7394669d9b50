import { describe, expect, it } from 'vitest';
import { fakeHost } from './fakes.test-util.js';
import { CpuUsageMeter, nodeHost } from './host.js';

describe('CpuUsageMeter', () => {
  it('reports busy share of the counter delta when time has passed', () => {
    const host = fakeHost();
    const meter = new CpuUsageMeter(host);
    // +75 busy, +25 idle on each CPU → 75 %.
    host.times = host.times.map((t) => ({ ...t, user: t.user + 50, sys: t.sys + 25, idle: t.idle + 25 }));
    expect(meter.sample()).toBe(75);
    host.times = host.times.map((t) => ({ ...t, idle: t.idle + 100 }));
    expect(meter.sample()).toBe(0);
  });

  it('falls back to load average per CPU when no time has passed', () => {
    const host = fakeHost({ loadavg: () => [1, 0, 0] });
    const meter = new CpuUsageMeter(host);
    expect(meter.sample()).toBe(50); // load 1 on 2 CPUs
  });

  it('clamps to 100 when the load average exceeds the CPU count', () => {
    const meter = new CpuUsageMeter(fakeHost({ loadavg: () => [9, 0, 0] }));
    expect(meter.sample()).toBe(100);
  });

  it('stays within 0–100 when reading this machine', () => {
    const meter = new CpuUsageMeter(nodeHost);
    const v = meter.sample();
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(100);
  });
});

describe('nodeHost', () => {
  it('reports size and free space when statfs reads a real directory', async () => {
    const space = await nodeHost.statfs('.');
    expect(space.total).toBeGreaterThan(0);
    expect(space.free).toBeGreaterThanOrEqual(0);
    expect(space.free).toBeLessThanOrEqual(space.total);
  });
});
