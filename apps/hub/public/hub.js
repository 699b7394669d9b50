// Bosun hub page: workers, their containers, and a terminal (xterm.js) that reconnects
// without losing a byte: it remembers the offset of the last byte it showed and asks for
// exactly what follows. Control frames follow the viewer protocol of @bosun/protocol.
import { parseHubFrame, viewerFrame } from './viewer-client.js';
import { VIEWER_CLOSE } from './viewer-protocol.js';
const token = (() => {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) sessionStorage.setItem('bosun-token', decodeURIComponent(m[1]));
  return sessionStorage.getItem('bosun-token');
})();
const $ = (sel) => document.querySelector(sel);
const api = async (path, init = {}) => {
  const res = await fetch(path, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
};
const fmtBytes = (n) => (n === undefined ? '' : `${(n / 1024 ** 3).toFixed(1)} GiB`);

async function refresh() {
  try {
    const { workers } = await api('/api/workers');
    $('#status').textContent = `${workers.filter((w) => w.online).length} of ${workers.length} workers online`;
    $('#workers tbody').replaceChildren(
      ...workers.map((w) => {
        const tr = document.createElement('tr');
        tr.dataset.worker = w.workerId;
        tr.innerHTML = `<td></td><td class="${w.online ? 'online' : 'offline'}">${w.online ? 'online' : 'offline'}</td><td>${w.heartbeat ? w.heartbeat.cpuUsage.toFixed(0) + ' %' : ''}</td><td>${fmtBytes(w.heartbeat?.memoryFree)}</td><td>${w.heartbeat?.containersRunning ?? ''}</td>`;
        tr.firstChild.textContent = w.name;
        return tr;
      }),
    );
    const rows = [];
    for (const w of workers.filter((x) => x.online)) {
      const { containers } = await api(`/api/workers/${w.workerId}/commands`, { method: 'POST', body: JSON.stringify({ type: 'container.list-all' }) });
      for (const c of containers) rows.push({ w, c });
    }
    $('#containers tbody').replaceChildren(
      ...rows.map(({ w, c }) => {
        const tr = document.createElement('tr');
        tr.dataset.container = c.containerId;
        for (const text of [w.name, c.name ?? c.containerId.slice(0, 12), c.image, c.state]) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        const td = document.createElement('td');
        if (c.state === 'running') {
          const b = document.createElement('button');
          b.textContent = 'terminal';
          b.className = 'open-terminal';
          b.onclick = () => openTerminal(w.workerId, c.tenant, c.containerId, c.name ?? c.containerId);
          td.append(b);
        }
        tr.append(td);
        return tr;
      }),
    );
  } catch (err) {
    $('#status').textContent = `error: ${err.message}`;
  }
}

let current;
function openTerminal(workerId, tenant, containerId, title) {
  current?.dispose();
  $('#terminal-panel').hidden = false;
  $('#terminal-title').textContent = `terminal: ${title}`;
  $('#terminal').replaceChildren();
  const term = new Terminal({ convertEol: false, scrollback: 5000, fontSize: 14 });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open($('#terminal'));
  fit.fit();
  const state = { terminalId: undefined, offset: 0, ws: undefined, retry: 500, disposed: false, bytes: 0 };
  window.bosunTerminal = { term, state };
  const setState = (text) => ($('#terminal-state').textContent = text);
  const connect = () => {
    if (state.disposed) return;
    const q = new URLSearchParams({ worker: workerId, tenant, cols: String(term.cols), rows: String(term.rows) });
    if (state.terminalId) {
      q.set('terminal', state.terminalId);
      q.set('offset', String(state.offset));
    } else q.set('container', containerId);
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/terminal?${q}`, ['bosun.v1', `bearer.${token}`]);
    ws.binaryType = 'arraybuffer';
    state.ws = ws;
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') {
        const bytes = new Uint8Array(ev.data);
        term.write(bytes);
        window.bosunTap?.(state.offset, bytes); // test hook: sees every byte once, with its offset
        state.offset += bytes.byteLength;
        state.bytes += bytes.byteLength;
        return;
      }
      let msg;
      try {
        msg = parseHubFrame(ev.data);
      } catch (err) {
        setState(`bad frame from the hub: ${err.message}`);
        return;
      }
      if (msg.type === 'terminal') {
        state.terminalId = msg.terminalId;
        if (msg.offset !== undefined && state.offset === 0) state.offset = msg.offset;
      } else if (msg.type === 'attached') {
        state.retry = 500;
        setState(`attached at byte ${msg.offset}`);
      } else if (msg.type === 'snapshot') {
        term.reset();
        term.write(msg.data);
        state.offset = msg.offset;
        setState('restored from a screen snapshot (older output had left the buffer)');
      } else if (msg.type === 'resync') state.offset = msg.offset;
      else if (msg.type === 'dropped') setState(`dropped (${msg.code}) at byte ${msg.offset}`);
      else if (msg.type === 'waiting') setState(`waiting: ${msg.reason}`);
      else if (msg.type === 'exit') setState(`process exited (${msg.exitCode ?? 'signal'})`);
      else if (msg.type === 'error') setState(`error: ${msg.message}`);
    };
    ws.onclose = (ev) => {
      if (state.disposed) return;
      // Refused (another tenant's or a gone terminal) or revoked: reconnecting cannot help.
      if (ev.code === VIEWER_CLOSE.refused.code || ev.code === VIEWER_CLOSE.revoked.code || ev.code === VIEWER_CLOSE.badRequest.code) {
        setState(`closed: ${ev.reason}`);
        return;
      }
      setState(`disconnected; reconnecting in ${state.retry} ms`);
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 8000);
    };
  };
  const enc = new TextEncoder();
  term.onData((d) => state.ws?.readyState === 1 && state.ws.send(enc.encode(d)));
  term.onResize(({ cols, rows }) => state.ws?.readyState === 1 && state.ws.send(viewerFrame('resize', { cols, rows })));
  window.onresize = () => fit.fit();
  connect();
  current = { dispose: () => ((state.disposed = true), state.ws?.close(), term.dispose()) };
}

if (!token) $('#status').textContent = 'no token: open the URL npm start printed (it ends in #token=…)';
else {
  refresh();
  setInterval(refresh, 5000);
}
