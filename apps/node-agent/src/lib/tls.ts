import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readPrivateFileSync } from '@bosun/auth';
import { BosunError } from '@bosun/protocol';
import type { Logger } from '@bosun/logger';
import { writePrivateFileSync } from '@bosun/util';

/** A certificate and its key, PEM. */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** Where it came from: the operator's files, or made here on first start. */
  source: 'files' | 'self-signed';
  /** SHA-256 fingerprint of the certificate (colon hex), for pinning from a client. */
  fingerprint256: string;
}

/** Options of {@link loadOrCreateTls}. */
export interface TlsOptions {
  /** `TLS_CERT`: PEM file of the certificate (chain). Needs `keyPath` too. */
  certPath?: string;
  /** `TLS_KEY`: PEM file of its private key. */
  keyPath?: string;
  /** `DATA_DIR`: where a self-signed pair is kept (`tls/cert.pem`, `tls/key.pem`, 0600). */
  dataDir: string;
  /** Names the self-signed certificate is valid for (default: localhost, this host name, 127.0.0.1, ::1). */
  altNames?: string[];
  logger?: Logger;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new BosunError('invalid_argument', `cannot read the TLS ${what} ${path}: ${(err as Error).message}`);
  }
}

function parseCert(cert: string, path: string): X509Certificate {
  try {
    return new X509Certificate(cert);
  } catch (err) {
    throw new BosunError('invalid_argument', `${path} is not a PEM certificate: ${(err as Error).message}`);
  }
}

/**
 * The node agent's TLS material: the operator's `TLS_CERT` / `TLS_KEY` when given (both
 * or neither), else a self-signed certificate made on first start and kept in
 * `DATA_DIR/tls` (key 0600; a key file others can read, or a symlink, is refused and
 * not reused). The certificate is checked to parse and to match its key.
 * @throws BosunError `invalid_argument` (one file without the other, unreadable, not PEM, key does not match), `insecure_file` (the kept key is a symlink, another user's, or open to others)
 */
export async function loadOrCreateTls(o: TlsOptions): Promise<TlsMaterial> {
  if (Boolean(o.certPath) !== Boolean(o.keyPath)) {
    throw new BosunError('invalid_argument', 'give both TLS_CERT and TLS_KEY, or neither (a self-signed pair is then made in DATA_DIR)');
  }
  if (o.certPath && o.keyPath) {
    const cert = readPem(o.certPath, 'certificate');
    const key = readPem(o.keyPath, 'key');
    const x509 = parseCert(cert, o.certPath);
    assertPair(x509, key, o.certPath);
    return { cert, key, source: 'files', fingerprint256: x509.fingerprint256 };
  }
  const dir = join(o.dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const kept = readKept(certPath, keyPath, o.logger);
  if (kept) return kept;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = o.altNames ?? ['localhost', hostname(), '127.0.0.1', '::1'];
  // selfsigned (on @peculiar/x509 and WebCrypto) is loaded only when a pair must be made.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((n) => (/^[\d.]+$|:/.test(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })),
      },
    ],
  });
  writePrivateFileSync(keyPath, pems.private);
  writePrivateFileSync(certPath, pems.cert);
  const fp = parseCert(pems.cert, certPath).fingerprint256;
  o.logger?.info({ cert: certPath, fingerprint256: fp, names }, 'made a self-signed TLS certificate');
  return { cert: pems.cert, key: pems.private, source: 'self-signed', fingerprint256: fp };
}

function readKept(certPath: string, keyPath: string, logger: Logger | undefined): TlsMaterial | undefined {
  // Refuses a symlink, a file of another user or one others can read (insecure_file).
  const key = readPrivateFileSync(keyPath);
  if (key === undefined) return undefined;
  const cert = readPem(certPath, 'certificate');
  const x509 = parseCert(cert, certPath);
  if (Date.parse(x509.validTo) <= Date.now()) {
    logger?.warn({ cert: certPath }, 'the kept self-signed certificate has expired; making a new one');
    return undefined;
  }
  assertPair(x509, key, certPath);
  return { cert, key, source: 'self-signed', fingerprint256: x509.fingerprint256 };
}

function assertPair(x509: X509Certificate, key: string, certPath: string): void {
  let ok = false;
  try {
    ok = x509.checkPrivateKey(createPrivateKey(key));
  } catch {
    ok = false;
  }
  if (!ok) throw new BosunError('invalid_argument', `the TLS key does not match the certificate ${certPath}`);
}
