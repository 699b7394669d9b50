/**
 * The hub's page: workers and their containers (tenant and workspace filters), and
 * terminal tabs that survive a reload. Everything it shows comes from the admin API and
 * the viewer socket; tests read the DOM (no hooks on `window`).
 */
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { closeTerminal, listContainers, listTerminals, listWorkers, type Container, type Worker } from './api.js';
import { loadActive, loadFilters, loadTabs, saveActive, saveFilters, saveTabs, takeToken, type Filters, type StoredTab } from './session.js';
import { TerminalTab } from './terminal-tab.js';

const token = takeToken();
const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const statusEl = $('#status');
const tabsEl = $('#tabs');
const panesEl = $('#panes');
const tenantSel = $<HTMLSelectElement>('#filter-tenant');
const workspaceSel = $<HTMLSelectElement>('#filter-workspace');

const tabs: TerminalTab[] = [];
let filters: Filters = loadFilters();
let rows: { w: Worker; c: Container }[] = [];
let lastSig = '';

const fmtGiB = (n: number | undefined) => (n === undefined ? '' : `${(n / 1024 ** 3).toFixed(1)} GiB`);
const td = (text: string, cls?: string) => {
  const el = document.createElement('td');
  el.textContent = text;
  el.title = text;
  if (cls) el.className = cls;
  return el;
};

function persist(): void {
  saveTabs(tabs.map((t) => t.tab));
}

function select(tab: TerminalTab | undefined): void {
  for (const t of tabs) t.show(t === tab);
  saveActive(tab?.tab.key);
  $('#terminals-hint').hidden = tabs.length > 0;
}

function addTab(stored: StoredTab, front: boolean): TerminalTab {
  const tab = new TerminalTab({
    token: token as string,
    tab: stored,
    tabsEl,
    panesEl,
    onChange: persist,
    onSelect: (t) => select(t),
    onClose: (t) => {
      const i = tabs.indexOf(t);
      tabs.splice(i, 1);
      t.dispose();
      const { workerId, tenant, terminalId, ended } = t.tab;
      // Closing the tab ends the shell, so none is left running in the container.
      if (terminalId && !ended) void closeTerminal(token as string, workerId, tenant, terminalId).catch(() => undefined);
      persist();
      select(tabs[Math.min(i, tabs.length - 1)]);
    },
  });
  tabs.push(tab);
  persist();
  if (front) select(tab);
  tab.start();
  return tab;
}

function openTerminal(w: Worker, c: Container): void {
  const title = `${c.name ?? c.containerId.slice(0, 12)} @ ${w.name}`;
  addTab({ key: `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, workerId: w.workerId, tenant: c.tenant, containerId: c.containerId, title, startOffset: 0, offset: 0 }, true);
}

function renderWorkers(workers: Worker[]): void {
  $('#workers tbody').replaceChildren(
    ...workers.map((w) => {
      const tr = document.createElement('tr');
      tr.dataset['worker'] = w.workerId;
      const engines = w.info?.containerEngines?.map((e) => e.name).join(', ') ?? '';
      tr.append(
        td(w.name, 'name'),
        td(w.online ? 'online' : 'offline', w.online ? 'online' : 'offline'),
        td(engines || (w.info ? 'process driver' : ''), 'opt'),
        td(w.heartbeat?.cpuUsage === undefined ? '' : `${w.heartbeat.cpuUsage.toFixed(0)} %`, 'opt'),
        td(fmtGiB(w.heartbeat?.memoryFree), 'opt'),
        td(String(w.heartbeat?.containersRunning ?? ''), 'opt'),
      );
      return tr;
    }),
  );
  const hint = $('#workers-hint');
  hint.hidden = workers.length > 0;
  hint.textContent = 'No worker yet. `npm start` runs one next to this hub; a worker elsewhere needs a token from POST /api/workers.';
}

function fillSelect(sel: HTMLSelectElement, values: string[], current: string): void {
  const opts = ['', ...values].map((v) => {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = v || 'all';
    o.selected = v === current;
    return o;
  });
  sel.replaceChildren(...opts);
}

function renderContainers(): void {
  const tenants = [...new Set(rows.map((r) => r.c.tenant))].sort();
  const workspaces = [...new Set(rows.filter((r) => !filters.tenant || r.c.tenant === filters.tenant).map((r) => r.c.workspaceId).filter((x): x is string => !!x))].sort();
  fillSelect(tenantSel, tenants, filters.tenant);
  fillSelect(workspaceSel, workspaces, filters.workspace);
  const shown = rows.filter((r) => (!filters.tenant || r.c.tenant === filters.tenant) && (!filters.workspace || r.c.workspaceId === filters.workspace));
  $('#containers tbody').replaceChildren(
    ...shown.map(({ w, c }) => {
      const tr = document.createElement('tr');
      tr.dataset['container'] = c.containerId;
      const action = document.createElement('td');
      if (c.state === 'running' && w.online) {
        const b = document.createElement('button');
        b.textContent = 'terminal';
        b.className = 'open-terminal';
        b.onclick = () => openTerminal(w, c);
        action.append(b);
      }
      tr.append(td(c.name ?? c.containerId.slice(0, 12), 'name'), td(c.tenant), td(c.workspaceId ?? '', 'opt'), td(c.image, 'opt'), td(c.state, `state ${c.state}`), action);
      return tr;
    }),
  );
  const hint = $('#containers-hint');
  hint.hidden = shown.length > 0;
  hint.textContent =
    rows.length === 0
      ? 'No container yet. Create one with POST /api/workers/<id>/commands {"type":"container.create","tenant":"…","image":"…"} (see /api/docs).'
      : 'No container matches the filters.';
}

async function refresh(): Promise<void> {
  if (!token) return;
  try {
    const workers = await listWorkers(token);
    const online = workers.filter((w) => w.online);
    statusEl.textContent = `${online.length} of ${workers.length} worker${workers.length === 1 ? '' : 's'} online`;
    const next: { w: Worker; c: Container }[] = [];
    await Promise.all(
      online.map(async (w) => {
        try {
          for (const c of await listContainers(token, w.workerId)) next.push({ w, c });
        } catch {
          // A worker that does not answer now is listed again at the next refresh.
        }
      }),
    );
    next.sort((a, b) => a.w.name.localeCompare(b.w.name) || (a.c.name ?? a.c.containerId).localeCompare(b.c.name ?? b.c.containerId));
    // Redraw only what changed, so a button is not replaced under the pointer.
    const sig = JSON.stringify([workers.map((w) => [w.workerId, w.name, w.online, w.info?.containerEngines, w.heartbeat?.containersRunning]), next.map((r) => [r.w.workerId, r.c])]);
    if (sig !== lastSig) {
      lastSig = sig;
      rows = next;
      renderWorkers(workers);
      renderContainers();
    }
  } catch (err) {
    statusEl.textContent = `error: ${(err as Error).message}`;
  }
}

/** Reopens the stored tabs: ended ones say so, live ones reattach (the hub's listing tells which). */
async function restoreTabs(): Promise<void> {
  const stored = loadTabs();
  if (stored.length === 0) return;
  const known = await listTerminals(token as string).catch(() => []);
  const active = loadActive();
  for (const t of stored) {
    const k = known.find((x) => x.workerId === t.workerId && x.terminalId === t.terminalId && (x.tenant === undefined || x.tenant === t.tenant));
    if (k?.state === 'ended' && !t.ended) t.ended = k.reason ?? 'the process ended';
    addTab(t, false);
  }
  select(tabs.find((t) => t.tab.key === active) ?? tabs[0]);
}

tenantSel.onchange = () => {
  filters = { tenant: tenantSel.value, workspace: '' };
  saveFilters(filters);
  renderContainers();
};
workspaceSel.onchange = () => {
  filters = { ...filters, workspace: workspaceSel.value };
  saveFilters(filters);
  renderContainers();
};
window.addEventListener('resize', () => tabs.forEach((t) => t.refit()));

if (!token) statusEl.textContent = 'no token: open the URL npm start printed (it ends in #token=…)';
else {
  void restoreTabs();
  void refresh();
  setInterval(() => void refresh(), 3000);
}
