import type { RegisterPayload, SystemFacts } from '@bosun/capability-probe';

/** What `bosun probe` shows: the register payload the hub would see, plus host facts beyond it. */
export interface ProbeReport {
  /** The `worker.register` fields, exactly what `--json` prints. */
  payload: RegisterPayload;
  /** Distro, kernel, CPU model and arch, when the probe found them (default: not shown). */
  system?: Partial<SystemFacts>;
}

/** How {@link renderProbeTable} styles its output. */
export interface TableStyle {
  /** ANSI bold headings and dim column titles (default false: plain text, e.g. when piped or NO_COLOR is set). */
  color?: boolean;
}

const BOLD = '\u001b[1m';
const DIM = '\u001b[2m';
const RESET_INTENSITY = '\u001b[22m';

/**
 * The probe as sections of aligned columns: System, Runtimes, Tools, GPUs, Container
 * engines. Text that came from the machine (tool versions, paths, engine replies) is
 * shown with its control characters replaced by `?`, so a hostile `--version` output
 * cannot move the cursor or recolour the terminal. Ends with a line break.
 */
export function renderProbeTable(report: ProbeReport, style: TableStyle = {}): string {
  const color = style.color ?? false;
  const bold = (t: string) => (color ? `${BOLD}${t}${RESET_INTENSITY}` : t);
  const dim = (t: string) => (color ? `${DIM}${t}${RESET_INTENSITY}` : t);
  const { payload: p, system: s = {} } = report;

  const section = (title: string, body: string[]) => [bold(title), ...body.map((l) => `  ${l}`)].join('\n');
  const table = (head: string[], rows: string[][]): string[] => {
    if (rows.length === 0) return [dim('none found')];
    const cells = rows.map((r) => r.map(clean));
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
    const line = (r: string[], paint: (t: string) => string = (t) => t) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .map(paint)
        .join('  ')
        .trimEnd();
    return [line(head, dim), ...cells.map((r) => line(r))];
  };

  const os = [s.distro && s.release ? `${s.distro} ${s.release}` : s.distro, s.kernel ? `kernel ${s.kernel}` : undefined].filter(Boolean).join(', ');
  const systemRows: [string, string][] = [
    ['name', p.name],
    ['hostname', p.hostname],
    ['platform', [p.platform, s.arch].filter(Boolean).join(' ') + (os ? ` (${os})` : '')],
    ['cpus', s.cpuModel ? `${p.cpuCount} × ${s.cpuModel}` : String(p.cpuCount)],
    ['memory', formatBytes(p.memoryTotal)],
    ['bosun', `${p.agentVersion} (mode ${p.mode})`],
  ];
  const keyWidth = Math.max(...systemRows.map(([k]) => k.length));

  const tools = (list: RegisterPayload['capabilities']['tools']) => table(['NAME', 'VERSION', 'PATH'], list.map((t) => [t.name, t.version, t.path]));
  return `${[
    section(
      'System',
      systemRows.map(([k, v]) => `${dim(k.padEnd(keyWidth))}  ${clean(v)}`),
    ),
    section('Runtimes', tools(p.capabilities.runtimes)),
    section('Tools', tools(p.capabilities.tools)),
    section(
      'GPUs',
      table(
        ['VENDOR', 'MODEL', 'MEMORY', 'DRIVER'],
        p.capabilities.gpus.map((g) => [g.vendor, g.model, g.memoryBytes === undefined ? '-' : formatBytes(g.memoryBytes), g.driver ?? '-']),
      ),
    ),
    section('Container engines', table(['NAME', 'VERSION', 'SOCKET'], p.containerEngines.map((e) => [e.name, e.version, e.socket ?? '-']))),
  ].join('\n\n')}\n`;
}

/** Bytes in binary units with one decimal (`7.8 GiB`); whole bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

// C0 controls (ESC included), DEL, C1 controls, line separators and bidi overrides: none
// of them belongs in a table cell, and each can move, hide or reorder what a person reads.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function clean(text: string): string {
  return text.replace(CONTROL, '?');
}
