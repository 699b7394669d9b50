import { describe, expect, it } from 'vitest';
import type { RegisterPayload } from '@bosun/capability-probe';
import { formatBytes, renderProbeTable, type ProbeReport } from './probe-table.js';

const payload: RegisterPayload = {
  name: 'gpu-box',
  hostname: 'gpu-box.lan',
  platform: 'linux',
  cpuCount: 16,
  memoryTotal: 64 * 1024 ** 3,
  agentVersion: '0.1.0',
  mode: 'byom',
  containerEngines: [
    { name: 'podman', version: '4.3.1', socket: '/run/podman/podman.sock' },
    { name: 'docker', version: '28.2.2' },
  ],
  capabilities: {
    runtimes: [
      { name: 'node', version: '20.20.2', path: '/usr/bin/node' },
      { name: 'python3', version: '3.11.2', path: '/usr/bin/python3' },
    ],
    tools: [{ name: 'git', version: '2.39.5', path: '/usr/bin/git' }],
    gpus: [{ vendor: 'NVIDIA', model: 'NVIDIA A100-SXM4-40GB', memoryBytes: 40 * 1024 ** 3, driver: '535.104.05' }, { vendor: 'AMD', model: 'MI300X' }],
  },
};
const report: ProbeReport = {
  payload,
  system: { arch: 'x64', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0-18-amd64', cpuModel: 'AMD EPYC 7763' },
};

// eslint-disable-next-line no-control-regex
const stripAnsi = (t: string) => t.replace(/\u001b\[[0-9;]*m/g, '');

describe('renderProbeTable', () => {
  it('prints every section with aligned columns when given a full report', () => {
    expect(renderProbeTable(report)).toBe(
      [
        'System',
        '  name      gpu-box',
        '  hostname  gpu-box.lan',
        '  platform  linux x64 (Debian GNU/Linux 12, kernel 6.1.0-18-amd64)',
        '  cpus      16 × AMD EPYC 7763',
        '  memory    64.0 GiB',
        '  bosun     0.1.0 (mode byom)',
        '',
        'Runtimes',
        '  NAME     VERSION  PATH',
        '  node     20.20.2  /usr/bin/node',
        '  python3  3.11.2   /usr/bin/python3',
        '',
        'Tools',
        '  NAME  VERSION  PATH',
        '  git   2.39.5   /usr/bin/git',
        '',
        'GPUs',
        '  VENDOR  MODEL                  MEMORY    DRIVER',
        '  NVIDIA  NVIDIA A100-SXM4-40GB  40.0 GiB  535.104.05',
        '  AMD     MI300X                 -         -',
        '',
        'Container engines',
        '  NAME    VERSION  SOCKET',
        '  podman  4.3.1    /run/podman/podman.sock',
        '  docker  28.2.2   -',
        '',
      ].join('\n'),
    );
  });

  it('says none found and omits host facts when the machine has nothing and the probe found no facts', () => {
    const bare = { ...payload, containerEngines: [], capabilities: { runtimes: [], tools: [], gpus: [] } };
    const text = renderProbeTable({ payload: bare });
    expect(text).toContain('  platform  linux\n  cpus      16\n');
    expect(text).toContain('Runtimes\n  none found\n\nTools\n  none found\n\nGPUs\n  none found\n\nContainer engines\n  none found\n');
  });

  it('writes no escape sequence when colour is off', () => {
    expect(renderProbeTable(report, { color: false })).not.toContain('\u001b');
  });

  it('bolds section titles and dims column titles, with the same text, when colour is on', () => {
    const coloured = renderProbeTable(report, { color: true });
    expect(coloured).toContain('\u001b[1mContainer engines\u001b[22m');
    expect(coloured).toContain('\u001b[2mNAME\u001b[22m');
    expect(stripAnsi(coloured)).toBe(renderProbeTable(report));
  });

  it('neutralises escape sequences and bidi overrides when a tool reports them in its version or path', () => {
    const hostile: RegisterPayload = {
      ...payload,
      capabilities: {
        ...payload.capabilities,
        tools: [{ name: 'evil', version: '1.0\u001b]0;pwned\u0007\u001b[2J', path: '/tmp/\u202eexe.txt\r\n/usr/bin/git' }],
      },
      containerEngines: [{ name: 'docker', version: '\u009b31m28' }],
    };
    const text = renderProbeTable({ payload: hostile }, { color: false });
    for (const c of ['\u001b', '\u0007', '\u009b', '\r', '\u202e']) expect(text).not.toContain(c);
    expect(text).toContain('  evil  1.0?]0;pwned??[2J  /tmp/?exe.txt??/usr/bin/git\n');
    // Every line of the section is still one line: the CR LF in the path did not split it.
    expect(text.split('\n').filter((l: string) => l.includes('/usr/bin/git'))).toHaveLength(1);
  });
});

describe('formatBytes', () => {
  it('uses binary units with one decimal, and whole bytes below 1 KiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(8 * 1024 ** 3 - 1)).toBe('8.0 GiB');
    expect(formatBytes(3 * 1024 ** 5)).toBe('3.0 PiB');
  });
});
