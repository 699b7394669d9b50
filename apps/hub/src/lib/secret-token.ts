import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens of the form `<prefix>_<id>_<secret>` (worker tokens `bwt_`, node callback
 * tokens `bnc_`): the id finds the record in O(1), only the sha256 of the secret is
 * stored, and a presented secret is compared with it in constant time.
 */
export interface SecretTokenFormat {
  /** A new token: its id, the hash to store, and the token to show once. */
  mint(): { id: string; hash: string; token: string };
  /** The id and secret of a well-formed token, or undefined. */
  parse(token: string | undefined): { id: string; secret: string } | undefined;
  /** Whether `secret` hashes to `storedHash` (constant time). */
  matches(storedHash: string, secret: string): boolean;
}

const sha256 = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** The {@link SecretTokenFormat} of `prefix` with ids of `idLength` lower-case letters and digits. */
export function secretTokenFormat(prefix: string, idLength: number): SecretTokenFormat {
  const re = new RegExp(`^${prefix}_([a-z0-9]{${idLength}})_([A-Za-z0-9_-]{43})$`);
  return {
    mint() {
      const id = randomBytes(Math.ceil((idLength * 3) / 4))
        .toString('base64url')
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '0')
        .slice(0, idLength);
      const secret = randomBytes(32).toString('base64url');
      return { id, hash: sha256(secret), token: `${prefix}_${id}_${secret}` };
    },
    parse(token) {
      const m = token ? re.exec(token) : null;
      return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
    },
    matches(storedHash, secret) {
      const a = Buffer.from(storedHash, 'hex');
      const b = Buffer.from(sha256(secret), 'hex');
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
