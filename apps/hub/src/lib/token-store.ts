import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { JsonFileStore } from './file-store.js';

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
const TOKEN_RE = /^bwt_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

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
      const workerId = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
      const secret = randomBytes(32).toString('base64url');
      return { name, workerId, secret, token: `bwt_${workerId}_${secret}` };
    });
    await this.store.update((d) => {
      for (const i of issued) d.workers[i.workerId] = { workerId: i.workerId, name: i.name, tokenHash: hash(i.secret), createdAt: now };
    });
    return issued.map(({ workerId, token }) => ({ workerId, token }));
  }

  /** The worker a token belongs to, or undefined for a wrong, malformed or revoked token. */
  verify(token: string | undefined): WorkerRecord | undefined {
    const m = token ? TOKEN_RE.exec(token) : null;
    if (!m) return undefined;
    const record = this.store.value.workers[m[1]];
    if (!record) return undefined;
    const a = Buffer.from(record.tokenHash, 'hex');
    const b = Buffer.from(hash(m[2]), 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? record : undefined;
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
