import { BosunError } from '@bosun/protocol';

/**
 * Who a terminal belongs to. Held as data beside the terminal (never parsed out of a
 * name a user chose) and checked on every operation.
 */
export interface TerminalOwner {
  /** The tenant; required. */
  tenant: string;
  /** A workspace of the tenant; when a terminal has one, only callers naming it reach the terminal. */
  workspace?: string;
  /** A user of the tenant; when a terminal has one, only callers naming that user reach it. */
  user?: string;
}

const PART = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/**
 * A copy of `owner` holding only its known fields, checked: each is 1–128 characters of
 * `A-Z a-z 0-9 . _ : @ -`, starting with a letter or digit.
 * @throws BosunError `invalid_argument`
 */
export function normalizeOwner(owner: TerminalOwner): TerminalOwner {
  const o = owner as Partial<Record<keyof TerminalOwner, unknown>> | null;
  const check = (key: keyof TerminalOwner, required: boolean): string | undefined => {
    const v = o?.[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || !PART.test(v)) throw BosunError.invalidArgument(`owner.${key} is not a valid id`, { field: `owner.${key}` });
    return v;
  };
  const tenant = check('tenant', true) as string;
  const workspace = check('workspace', false);
  const user = check('user', false);
  return { tenant, ...(workspace === undefined ? {} : { workspace }), ...(user === undefined ? {} : { user }) };
}

/**
 * True when `caller` may reach a terminal owned by `owner`: the same tenant, and the
 * same workspace and user wherever the terminal names one. A terminal opened without a
 * workspace (or user) is reachable by every caller of its tenant.
 */
export function ownerMatches(owner: TerminalOwner, caller: TerminalOwner): boolean {
  return (
    owner.tenant === caller.tenant &&
    (owner.workspace === undefined || owner.workspace === caller.workspace) &&
    (owner.user === undefined || owner.user === caller.user)
  );
}
