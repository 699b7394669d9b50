import { readFile } from 'node:fs/promises';
import type { Logger } from '@bosun/logger';
import { writePrivateJson } from '@bosun/util';
import { normalizeOwner, type TerminalOwner } from './owner.js';

/** What the service keeps about a terminal beside its PTY session. */
export interface TerminalRecord {
  terminalId: string;
  owner: TerminalOwner;
  /** The container it runs in (the caller's id), absent for a host shell. */
  containerId?: string;
  /** The run (service lifetime) that opened it. */
  runId: string;
  /** Epoch ms. */
  createdAt: number;
  /** Name given by `rename` (1–128 characters); absent: the session's own name. */
  name?: string;
}

/**
 * Where terminal records live between runs, so a terminal that outlived its service
 * (tmux) gets its owner back, from data the service wrote, not from a session name.
 */
export interface TerminalRecordStore {
  /** Every record saved last (none when nothing was saved). */
  load(): Promise<TerminalRecord[]>;
  /** Replaces what is saved with `records`. */
  save(records: TerminalRecord[]): Promise<void>;
}

/** A store that keeps nothing across runs: the default (terminals do not outlive the service). */
export function memoryRecordStore(): TerminalRecordStore {
  let saved: TerminalRecord[] = [];
  return {
    load: () => Promise.resolve(saved.map((r) => ({ ...r, owner: { ...r.owner } }))),
    save: (records) => {
      saved = records.map((r) => ({ ...r, owner: { ...r.owner } }));
      return Promise.resolve();
    },
  };
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function parseRecord(v: unknown): TerminalRecord | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.terminalId !== 'string' || !ID.test(r.terminalId)) return undefined;
  if (typeof r.runId !== 'string' || !ID.test(r.runId)) return undefined;
  if (r.containerId !== undefined && (typeof r.containerId !== 'string' || !ID.test(r.containerId))) return undefined;
  let owner: TerminalOwner;
  try {
    owner = normalizeOwner(r.owner as TerminalOwner);
  } catch {
    return undefined;
  }
  return {
    terminalId: r.terminalId,
    owner,
    runId: r.runId,
    createdAt: typeof r.createdAt === 'number' && Number.isFinite(r.createdAt) ? r.createdAt : 0,
    ...(r.containerId === undefined ? {} : { containerId: r.containerId as string }),
    ...(typeof r.name === 'string' && r.name.length >= 1 && r.name.length <= 128 ? { name: r.name } : {}),
  };
}

/**
 * A store in one JSON file, written atomically with mode 0600 (its directory 0700).
 * Saves are serialised in call order. A missing file reads as no records; a file that
 * is not valid JSON, or an entry that does not parse, is skipped with a warning (those
 * terminals then have no owner, and `reconcile()` ends them).
 */
export function fileRecordStore(path: string, logger?: Logger): TerminalRecordStore {
  let chain: Promise<void> = Promise.resolve();
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        logger?.warn({ path }, 'terminal records are not JSON; ignoring them');
        return [];
      }
      const list = Array.isArray((data as { terminals?: unknown })?.terminals) ? (data as { terminals: unknown[] }).terminals : [];
      const out: TerminalRecord[] = [];
      for (const v of list) {
        const r = parseRecord(v);
        if (r) out.push(r);
        else logger?.warn({ path }, 'skipping a malformed terminal record');
      }
      return out;
    },
    save(records) {
      const snapshot = { version: 1, terminals: records.map((r) => ({ ...r, owner: { ...r.owner } })) };
      const next = chain.then(() => writePrivateJson(path, snapshot));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
