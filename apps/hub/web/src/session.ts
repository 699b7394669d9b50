/**
 * What the page keeps in sessionStorage (per browser tab, gone when it closes): the
 * admin token, the filters and the open terminal tabs with their offsets.
 */

const TOKEN_KEY = 'bosun.token';
const TABS_KEY = 'bosun.tabs';
const ACTIVE_KEY = 'bosun.activeTab';
const FILTER_KEY = 'bosun.filters';

/**
 * The admin token: taken from the URL fragment (`#token=…`) on load, moved into
 * sessionStorage and removed from the URL (so it is not left in the address bar, the
 * history or a shared screenshot); otherwise the one stored earlier in this tab.
 */
export function takeToken(): string | undefined {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** One terminal tab as stored. */
export interface StoredTab {
  /** Local key of the tab. */
  key: string;
  workerId: string;
  tenant: string;
  containerId: string;
  title: string;
  /** Set once the hub named the terminal. */
  terminalId?: string;
  /** Offset the tab's screen begins at: a reload replays from here to draw the screen again. */
  startOffset: number;
  /** Offset of the next byte the tab needs (what it has received so far). */
  offset: number;
  /** Set once the terminal ended: why, in words. */
  ended?: string;
}

/** The stored tabs (an empty list when none or unreadable). */
export function loadTabs(): StoredTab[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(TABS_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as StoredTab[]).filter((t) => typeof t?.key === 'string' && typeof t.workerId === 'string') : [];
  } catch {
    return [];
  }
}

/** Stores the tabs. */
export function saveTabs(tabs: StoredTab[]): void {
  sessionStorage.setItem(TABS_KEY, JSON.stringify(tabs));
}

/** The key of the tab in front. */
export function loadActive(): string | undefined {
  return sessionStorage.getItem(ACTIVE_KEY) ?? undefined;
}

/** Stores the key of the tab in front. */
export function saveActive(key: string | undefined): void {
  if (key) sessionStorage.setItem(ACTIVE_KEY, key);
  else sessionStorage.removeItem(ACTIVE_KEY);
}

/** Tenant and workspace filters ('' = all). */
export interface Filters {
  tenant: string;
  workspace: string;
}

/** The stored filters. */
export function loadFilters(): Filters {
  try {
    const v = JSON.parse(sessionStorage.getItem(FILTER_KEY) ?? '{}') as Partial<Filters>;
    return { tenant: typeof v.tenant === 'string' ? v.tenant : '', workspace: typeof v.workspace === 'string' ? v.workspace : '' };
  } catch {
    return { tenant: '', workspace: '' };
  }
}

/** Stores the filters. */
export function saveFilters(f: Filters): void {
  sessionStorage.setItem(FILTER_KEY, JSON.stringify(f));
}
