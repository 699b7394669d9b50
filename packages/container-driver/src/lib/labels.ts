/**
 * Labels and names: how bosun marks what it owns and keeps tenants apart.
 */
import { DriverError } from './errors.js';

/** Label keys every bosun-created object carries. */
export const LABELS = {
  managed: 'bosun.managed',
  tenant: 'bosun.tenant',
  workspace: 'bosun.workspace',
  /** The caller's name for the object (engine names are prefixed per tenant). */
  name: 'bosun.name',
} as const;

const TENANT_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const LABEL_KEY_RE = /^[a-zA-Z0-9][a-zA-Z0-9_./-]{0,127}$/;

/** Throws `invalid_argument` unless `tenant` (or a workspace id) is `[a-z0-9][a-z0-9_.-]{0,62}`. */
export function assertTenant(tenant: string, what = 'tenant'): void {
  if (typeof tenant !== 'string' || !TENANT_RE.test(tenant)) {
    throw DriverError.invalidArgument(`${what} ${JSON.stringify(tenant)} must match ${TENANT_RE.source}`);
  }
}

/** Throws `invalid_argument` unless `name` is `[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}`. */
export function assertName(name: string, what = 'name'): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw DriverError.invalidArgument(`${what} ${JSON.stringify(name)} must match ${NAME_RE.source}`);
  }
}

/** The engine-side name of a tenant's object: `bosun-<tenant>-<name>`, so two tenants may use the same name. */
export function engineName(tenant: string, name: string): string {
  return `bosun-${tenant}-${name}`;
}

/**
 * Labels for a new object: the caller's, then the `bosun.*` ones (which win).
 * Rejects caller keys in the reserved `bosun.` namespace and malformed keys.
 */
export function buildLabels(
  base: { tenant: string; workspace?: string; name?: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(extra)) {
    if (k.startsWith('bosun.')) throw DriverError.invalidArgument(`label ${k} is reserved`);
    if (!LABEL_KEY_RE.test(k)) throw DriverError.invalidArgument(`label key ${JSON.stringify(k)} is malformed`);
    if (typeof v !== 'string') throw DriverError.invalidArgument(`label ${k} must be a string`);
    out[k] = v;
  }
  out[LABELS.managed] = 'true';
  out[LABELS.tenant] = base.tenant;
  if (base.workspace !== undefined) out[LABELS.workspace] = base.workspace;
  if (base.name !== undefined) out[LABELS.name] = base.name;
  return out;
}

/** Engine list filter (`{ label: ['k=v', …] }`) for bosun objects, optionally of one tenant. */
export function labelFilter(opts: {
  tenant?: string;
  workspace?: string;
  labels?: Record<string, string>;
}): { label: string[] } {
  const label = [`${LABELS.managed}=true`];
  if (opts.tenant !== undefined) label.push(`${LABELS.tenant}=${opts.tenant}`);
  if (opts.workspace !== undefined) label.push(`${LABELS.workspace}=${opts.workspace}`);
  for (const [k, v] of Object.entries(opts.labels ?? {})) label.push(`${k}=${v}`);
  return { label };
}

/** True when `labels` mark an object of `tenant` managed by bosun. */
export function ownedBy(labels: Record<string, string> | undefined | null, tenant: string): boolean {
  return !!labels && labels[LABELS.managed] === 'true' && labels[LABELS.tenant] === tenant;
}

/** True when `labels` contain every pair of `want`. */
export function matchesLabels(labels: Record<string, string>, want: Record<string, string> = {}): boolean {
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}
