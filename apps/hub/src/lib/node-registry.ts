import { systemClock, type Clock } from '@bosun/util';
import { JsonFileStore } from './file-store.js';
import { secretTokenFormat } from './secret-token.js';

/** One callback token of a node, as stored: its id and the sha256 of its secret, never the secret. */
export interface CallbackTokenRecord {
  /** Public part of the token (`bnc_<id>_…`): finds the node in O(1). */
  id: string;
  /** sha256 of the secret, hex. */
  hash: string;
  issuedAt: string;
}

/** A node agent registered with the hub (persisted). */
export interface NodeRecord {
  nodeId: string;
  name: string;
  createdAt: string;
  /** The token the node was given last and has used since. */
  current: CallbackTokenRecord;
  /**
   * A refreshed token handed out in a callback reply and not used yet. Both stay valid
   * until the node calls with this one, so a lost reply never locks the node out.
   */
  next?: CallbackTokenRecord;
}

/** A workspace as a node reports it. */
export interface NodeWorkspace {
  workspaceId: string;
  /** Terminals alive in it. */
  terminals: number;
}

/** Host figures a node reports. */
export interface NodeMetrics {
  cpuCount: number;
  loadAvg1: number;
  memoryTotal: number;
  memoryFree: number;
  uptimeSec: number;
}

/** What a node says in one callback. */
export interface NodeReport {
  version: string;
  workspaces: NodeWorkspace[];
  metrics: NodeMetrics;
  /** The node's callback interval: `online` allows three of them between callbacks. */
  intervalMs: number;
}

/** A node as `GET /api/nodes` lists it. */
export interface NodeView {
  nodeId: string;
  name: string;
  createdAt: string;
  /** When the token in use was issued (ISO 8601). */
  tokenIssuedAt: string;
  /** Last callback (ISO 8601); absent until the node reported since the hub started. */
  lastSeenAt?: string;
  /** Seen within three of the intervals it reported. */
  online: boolean;
  version?: string;
  intervalMs?: number;
  workspaces: NodeWorkspace[];
  metrics?: NodeMetrics;
}

/** What the hub answers a callback with, besides `ok`. */
export interface CallbackAnswer {
  /** The interval the hub wants, when it differs from the one the node reported. */
  nextIntervalMs?: number;
  /** A refreshed token: the node must use it from its next callback on. */
  callbackToken?: string;
}

/** The token a request authenticated with. */
export interface VerifiedNode {
  node: NodeRecord;
  /** Which of the node's tokens it was. */
  slot: 'current' | 'next';
}

/** Options of {@link NodeRegistry}. */
export interface NodeRegistryOptions {
  /** The JSON file of nodes and token hashes (written atomically, 0600). */
  path: string;
  /** Age past which a callback gets a refreshed token (default 86 400 000 ms, 24 h). */
  rotateAfterMs?: number;
  /** The interval the hub asks nodes to report at (default: none; each node keeps its own). */
  intervalMs?: number;
  clock?: Clock;
}

interface StoreShape {
  nodes: Record<string, NodeRecord>;
}

interface Live extends NodeReport {
  lastSeenAt: number;
}

/** Node ids: what `NODE_ID` accepts. */
export const NODE_ID_RE = /^[A-Za-z0-9_.-]{1,128}$/;

/** Callback tokens look like `bnc_<id>_<secret>`: the id finds the node, the secret is compared by hash. */
const TOKENS = secretTokenFormat('bnc', 16);

/**
 * The node agents the hub knows: registration with a callback token (256-bit random,
 * stored only as a sha256 hash, compared in constant time, shown once), rotation on
 * re-registration (the old token stops working at once), refreshed tokens handed out in
 * callback replies once the token in use is older than `rotateAfterMs`, and each node's
 * last report (kept in memory: one map update per callback).
 */
export class NodeRegistry {
  private readonly store: JsonFileStore<StoreShape>;
  private readonly clock: Clock;
  private readonly rotateAfterMs: number;
  private readonly live = new Map<string, Live>();
  /** token id → node id, for both slots of every node. */
  private index = new Map<string, string>();

  constructor(private readonly o: NodeRegistryOptions) {
    this.store = new JsonFileStore<StoreShape>(o.path, () => ({ nodes: {} }));
    this.clock = o.clock ?? systemClock;
    this.rotateAfterMs = o.rotateAfterMs ?? 24 * 60 * 60 * 1000;
    this.reindex();
  }

  /**
   * Registers `nodeId` and returns its callback token (shown once, never stored). An
   * existing node gets a new token and every earlier one stops working; its `name` is
   * kept unless a new one is given (default name: the node id).
   */
  async register(nodeId: string, name?: string): Promise<{ nodeId: string; callbackToken: string }> {
    const { record, token } = this.mint();
    const now = new Date(this.clock.now()).toISOString();
    await this.change((d) => {
      const prev = d.nodes[nodeId];
      d.nodes[nodeId] = { nodeId, name: name ?? prev?.name ?? nodeId, createdAt: prev?.createdAt ?? now, current: record };
    });
    return { nodeId, callbackToken: token };
  }

  /** Removes a node: its tokens stop working and it leaves the list. False when unknown. */
  async revoke(nodeId: string): Promise<boolean> {
    if (!this.store.value.nodes[nodeId]) return false;
    this.live.delete(nodeId);
    await this.change((d) => {
      delete d.nodes[nodeId];
    });
    return true;
  }

  /** The node a callback token belongs to, or undefined for a wrong, malformed, rotated or revoked token. */
  verify(token: string | undefined): VerifiedNode | undefined {
    const t = TOKENS.parse(token);
    if (!t) return undefined;
    const nodeId = this.index.get(t.id);
    const node = nodeId === undefined ? undefined : this.store.value.nodes[nodeId];
    if (!node) return undefined;
    if (node.current.id === t.id && TOKENS.matches(node.current.hash, t.secret)) return { node, slot: 'current' };
    if (node.next?.id === t.id && TOKENS.matches(node.next.hash, t.secret)) return { node, slot: 'next' };
    return undefined;
  }

  /**
   * Records a callback of a verified node and says what to send back: a refreshed token
   * when the one in use is older than `rotateAfterMs` (or when an earlier refresh was
   * not taken up: its reply was lost), the hub's interval when it differs.
   */
  async report(verified: VerifiedNode, report: NodeReport): Promise<CallbackAnswer> {
    const { nodeId } = verified.node;
    const now = this.clock.now();
    this.live.set(nodeId, { ...report, workspaces: report.workspaces.map((w) => ({ ...w })), metrics: { ...report.metrics }, lastSeenAt: now });
    const answer: CallbackAnswer = {};
    if (this.o.intervalMs !== undefined && this.o.intervalMs !== report.intervalMs) answer.nextIntervalMs = this.o.intervalMs;
    const node = this.store.value.nodes[nodeId];
    if (!node) return answer;
    if (verified.slot === 'next' && node.next) {
      // The node took up the refreshed token: the old one stops working now.
      await this.change((d) => {
        const n = d.nodes[nodeId];
        if (n?.next) {
          n.current = n.next;
          delete n.next;
        }
      });
      return answer;
    }
    const stale = now - Date.parse(node.current.issuedAt) >= this.rotateAfterMs;
    if (node.next !== undefined || stale) {
      const { record, token } = this.mint();
      await this.change((d) => {
        const n = d.nodes[nodeId];
        if (n) n.next = record;
      });
      answer.callbackToken = token;
    }
    return answer;
  }

  /** Every registered node with its last report, by node id. */
  list(): NodeView[] {
    return Object.values(this.store.value.nodes)
      .map((n) => this.view(n))
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  /** One node, or undefined. */
  get(nodeId: string): NodeView | undefined {
    const n = this.store.value.nodes[nodeId];
    return n ? this.view(n) : undefined;
  }

  private view(n: NodeRecord): NodeView {
    const live = this.live.get(n.nodeId);
    const now = this.clock.now();
    return {
      nodeId: n.nodeId,
      name: n.name,
      createdAt: n.createdAt,
      tokenIssuedAt: n.current.issuedAt,
      online: live !== undefined && now - live.lastSeenAt <= 3 * live.intervalMs,
      workspaces: live ? live.workspaces.map((w) => ({ ...w })) : [],
      ...(live
        ? { lastSeenAt: new Date(live.lastSeenAt).toISOString(), version: live.version, intervalMs: live.intervalMs, metrics: { ...live.metrics } }
        : {}),
    };
  }

  private mint(): { record: CallbackTokenRecord; token: string } {
    const { id, hash, token } = TOKENS.mint();
    return { record: { id, hash, issuedAt: new Date(this.clock.now()).toISOString() }, token };
  }

  /** Applies `fn` and re-indexes at once (before the write lands), then waits for the write. */
  private async change(fn: (d: StoreShape) => void): Promise<void> {
    const written = this.store.update(fn);
    this.reindex();
    await written;
  }

  private reindex(): void {
    const index = new Map<string, string>();
    for (const n of Object.values(this.store.value.nodes)) {
      index.set(n.current.id, n.nodeId);
      if (n.next) index.set(n.next.id, n.nodeId);
    }
    this.index = index;
  }
}
