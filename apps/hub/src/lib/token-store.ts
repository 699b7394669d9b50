import { JsonFileStore } from './file-store.js';
import { secretTokenFormat } from './secret-token.js';

/** A worker the hub issued a token to. */
export interface WorkerRecord {
  workerId: string;
  name: string;
  /** sha256 of the token, hex. The token itself is never stored. */
  tokenHash: string;
  createdAt: string;
  lastSeenAt?: string;
}

interface StoreShape {
  workers: Record<string, WorkerRecord>;
}

/** Tokens look like `bwt_<workerId>_<secret>`: the id finds the record in O(1), the secret is compared by hash. */
const TOKENS = secretTokenFormat('bwt', 12);

/**
 * Issues and checks worker tokens. Tokens are 256-bit random secrets, stored only as
 * sha256 hashes (a slow hash buys nothing for random secrets of this size) and compared
 * in constant time.
 */
export class WorkerTokenStore {
  private readonly store: JsonFileStore<StoreShape>;

  constructor(path: string) {
    this.store = new JsonFileStore<StoreShape>(path, () => ({ workers: {} }));
  }

  /** Creates a worker record and returns its token; the token is shown once and never again. */
  async issue(name: string): Promise<{ workerId: string; token: string }> {
    return (await this.issueMany([name]))[0];
  }

  /** Creates many worker records with one write (fleet enrolment, load tests). */
  async issueMany(names: readonly string[]): Promise<{ workerId: string; token: string }[]> {
    const now = new Date().toISOString();
    const issued = names.map((name) => {
      const { id: workerId, hash, token } = TOKENS.mint();
      return { name, workerId, hash, token };
    });
    await this.store.update((d) => {
      for (const i of issued) d.workers[i.workerId] = { workerId: i.workerId, name: i.name, tokenHash: i.hash, createdAt: now };
    });
    return issued.map(({ workerId, token }) => ({ workerId, token }));
  }

  /** The worker a token belongs to, or undefined for a wrong, malformed or revoked token. */
  verify(token: string | undefined): WorkerRecord | undefined {
    const t = TOKENS.parse(token);
    const record = t ? this.store.value.workers[t.id] : undefined;
    return t && record && TOKENS.matches(record.tokenHash, t.secret) ? record : undefined;
  }

  /** Removes a worker and so invalidates its token. */
  async revoke(workerId: string): Promise<boolean> {
    if (!this.store.value.workers[workerId]) return false;
    await this.store.update((d) => {
      delete d.workers[workerId];
    });
    return true;
  }

  /** Records that a worker connected (persisted, so the list survives a hub restart). */
  touch(workerId: string, when = new Date()): Promise<void> {
    return this.store.update((d) => {
      const r = d.workers[workerId];
      if (r) r.lastSeenAt = when.toISOString();
    });
  }

  /** Every known worker. */
  list(): WorkerRecord[] {
    return Object.values(this.store.value.workers);
  }

  get(workerId: string): WorkerRecord | undefined {
    return this.store.value.workers[workerId];
  }
}
