/**
 * One terminal tab: a tab button, a pane with a state line and xterm.js, driven by a
 * {@link TerminalClient}. The tab's offsets go to sessionStorage as they move, so a
 * reload finds the terminal again and replays its screen from `startOffset`.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { TerminalClient, type TerminalClientStatus } from '@bosun/terminal-client';
import type { StoredTab } from './session.js';

/** Options of {@link TerminalTab}. */
export interface TerminalTabOptions {
  token: string;
  tab: StoredTab;
  tabsEl: HTMLElement;
  panesEl: HTMLElement;
  /** The tab's stored fields changed (offsets, terminal id, ended). */
  onChange: (tab: StoredTab) => void;
  /** The user pressed the tab. */
  onSelect: (tab: TerminalTab) => void;
  /** The user closed the tab. */
  onClose: (tab: TerminalTab) => void;
}

const wsBase = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/terminal`;

/** A terminal tab and its pane. */
export class TerminalTab {
  readonly tab: StoredTab;
  readonly button: HTMLButtonElement;
  readonly pane: HTMLElement;
  private readonly stateEl: HTMLElement;
  private readonly screenEl: HTMLElement;
  private readonly term: Terminal;
  private readonly fit = new FitAddon();
  private client: TerminalClient | undefined;
  private lastError: { code: string; message: string } | undefined;
  private saveQueued = false;

  constructor(private readonly o: TerminalTabOptions) {
    this.tab = o.tab;
    this.button = document.createElement('button');
    this.button.className = 'tab';
    this.button.setAttribute('role', 'tab');
    this.button.dataset['tab'] = this.tab.key;
    const label = document.createElement('span');
    label.className = 'tab-title';
    label.textContent = this.tab.title;
    label.title = this.tab.title;
    const close = document.createElement('span');
    close.className = 'tab-close';
    close.textContent = '×';
    close.title = 'close this terminal';
    close.onclick = (ev) => {
      ev.stopPropagation();
      o.onClose(this);
    };
    this.button.append(label, close);
    this.button.onclick = () => o.onSelect(this);
    o.tabsEl.append(this.button);

    this.pane = document.createElement('div');
    this.pane.className = 'pane';
    this.pane.dataset['tab'] = this.tab.key;
    this.pane.hidden = true;
    const head = document.createElement('div');
    head.className = 'pane-head';
    const title = document.createElement('span');
    title.className = 'pane-title';
    title.textContent = this.tab.title;
    title.title = `${this.tab.title} (tenant ${this.tab.tenant}, container ${this.tab.containerId})`;
    this.stateEl = document.createElement('span');
    this.stateEl.className = 'terminal-state';
    head.append(title, this.stateEl);
    this.screenEl = document.createElement('div');
    this.screenEl.className = 'screen';
    this.pane.append(head, this.screenEl);
    o.panesEl.append(this.pane);

    this.term = new Terminal({ scrollback: 5000, fontSize: 14, convertEol: false, cursorBlink: true });
    this.term.loadAddon(this.fit);
    this.term.open(this.screenEl);
    this.term.onData((d) => void this.client?.write(d));
    this.term.onResize(({ cols, rows }) => this.client?.resize(cols, rows));
    if (this.tab.terminalId) this.named(this.tab.terminalId);
    if (this.tab.ended) this.markEnded(this.tab.ended);
  }

  /** Connects (a new terminal in the container, or the stored one from its start offset). */
  start(): void {
    if (this.tab.ended || this.client) return;
    const token = this.o.token;
    const t = this.tab;
    // After a reload the screen is empty: replay from where this tab's screen began.
    const client = new TerminalClient({
      ...(t.terminalId ? { terminalId: t.terminalId, offset: t.startOffset } : {}),
      connect: (target) => {
        const q = new URLSearchParams({ worker: t.workerId, tenant: t.tenant, cols: String(this.term.cols), rows: String(this.term.rows) });
        if (target.terminalId) {
          q.set('terminal', target.terminalId);
          q.set('offset', String(target.offset));
        } else q.set('container', t.containerId);
        return new WebSocket(`${wsBase()}?${q}`, ['bosun.v1', `bearer.${token}`]);
      },
    });
    this.client = client;
    client.on('terminal', ({ terminalId, offset }) => {
      if (t.terminalId !== terminalId) {
        t.terminalId = terminalId;
        t.startOffset = offset;
      }
      this.named(terminalId);
      this.changed();
    });
    client.on('data', ({ bytes }) => {
      this.term.write(bytes);
      t.offset = client.offset;
      this.changed();
    });
    client.on('snapshot', ({ data, offset }) => {
      this.term.reset();
      this.term.write(data);
      t.startOffset = offset;
      t.offset = offset;
      this.changed();
    });
    client.on('resync', ({ offset }) => {
      t.offset = offset;
      this.changed();
    });
    client.on('error', (e) => (this.lastError = e));
    client.on('state', (s) => this.onState(s));
    client.start();
    client.resize(this.term.cols, this.term.rows);
  }

  /** Shows or hides the tab's pane. */
  show(front: boolean): void {
    this.pane.hidden = !front;
    this.button.classList.toggle('active', front);
    this.button.setAttribute('aria-selected', String(front));
    if (front) {
      this.refit();
      if (!this.tab.ended) this.term.focus();
    }
  }

  /** Fits the terminal to its pane (after a layout change). */
  refit(): void {
    if (this.pane.hidden) return;
    try {
      this.fit.fit();
    } catch {
      // Not laid out yet.
    }
  }

  /** Disconnects and removes the tab (the terminal itself is closed by the caller). */
  dispose(): void {
    this.client?.close();
    this.term.dispose();
    this.button.remove();
    this.pane.remove();
  }

  /** Marks the tab ended: says why, takes no more input, shows no live cursor. */
  markEnded(reason: string): void {
    this.tab.ended = reason;
    this.pane.classList.add('ended');
    this.button.classList.add('ended');
    this.stateEl.textContent = `ended: ${reason}. This terminal takes no input.`;
    this.term.options.disableStdin = true;
    this.term.options.cursorBlink = false;
    this.term.options.cursorStyle = 'underline';
    this.term.blur();
    this.changed();
  }

  private onState(s: TerminalClientStatus): void {
    this.pane.dataset['state'] = s.state;
    switch (s.state) {
      case 'connecting':
        this.stateEl.textContent = 'connecting…';
        return;
      case 'attached':
        this.stateEl.textContent = 'live';
        return;
      case 'waiting':
        this.stateEl.textContent = `waiting for the worker: ${s.reason ?? ''}`;
        return;
      case 'reconnecting':
        this.stateEl.textContent = `disconnected (${s.reason ?? ''}); reconnecting in ${Math.round((s.retryInMs ?? 0) / 100) / 10} s`;
        return;
      case 'ended':
        this.markEnded(s.reason ?? 'the process ended');
        return;
      case 'refused':
        // A terminal the worker no longer has (container removed, worker restarted without it) has ended.
        if (this.lastError?.code === 'not_found') this.markEnded(`the terminal is gone (${this.lastError.message})`);
        else this.markEnded(`refused: ${this.lastError?.message ?? s.reason ?? 'closed by the hub'}`);
        return;
      case 'closed':
        return;
    }
  }

  private named(terminalId: string): void {
    this.pane.dataset['terminalId'] = terminalId;
    this.button.dataset['terminalId'] = terminalId;
  }

  private changed(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    queueMicrotask(() => {
      this.saveQueued = false;
      this.o.onChange(this.tab);
    });
  }
}
