/**
 * Security profiles and the floor: which isolation a container gets and what each
 * profile takes away. Moved here from worker-runtime so every transport shares them.
 */
import { BosunError } from '@bosun/protocol';

/** Security profiles, weakest first. */
export const SECURITY_PROFILES = ['open', 'standard', 'strict', 'offline'] as const;
/** One security profile. */
export type SecurityProfile = (typeof SECURITY_PROFILES)[number];

/** What a profile imposes on a container. */
export interface ProfileLimits {
  memoryBytes?: number;
  cpus?: number;
  pids?: number;
  readOnlyRoot: boolean;
  /** tmpfs mounts (path → options) when the root is read-only. */
  tmpfs?: Record<string, string>;
  network?: 'none';
}

const GiB = 1024 ** 3;

/**
 * The limits of each profile:
 * - `open`: none;
 * - `standard`: 4 GiB, 2 CPUs, 1024 pids;
 * - `strict`: 2 GiB, 1 CPU, 512 pids, read-only root with tmpfs /tmp and /run;
 * - `offline`: strict plus no network.
 */
export const PROFILE_LIMITS: Readonly<Record<SecurityProfile, Readonly<ProfileLimits>>> = Object.freeze({
  open: { readOnlyRoot: false },
  standard: { memoryBytes: 4 * GiB, cpus: 2, pids: 1024, readOnlyRoot: false },
  strict: { memoryBytes: 2 * GiB, cpus: 1, pids: 512, readOnlyRoot: true, tmpfs: { '/tmp': 'rw,size=256m', '/run': 'rw,size=16m' } },
  offline: { memoryBytes: 2 * GiB, cpus: 1, pids: 512, readOnlyRoot: true, tmpfs: { '/tmp': 'rw,size=256m', '/run': 'rw,size=16m' }, network: 'none' },
});

/** True when `value` names a profile. */
export function isSecurityProfile(value: unknown): value is SecurityProfile {
  return typeof value === 'string' && (SECURITY_PROFILES as readonly string[]).includes(value);
}

/** Thrown (code `security_floor`) when a request asks for less than the floor (`SECURITY_FLOOR`). */
export class SecurityFloorError extends BosunError {
  constructor(
    readonly requested: SecurityProfile,
    readonly floor: SecurityProfile,
  ) {
    super(
      'security_floor',
      `security profile "${requested}" is weaker than this worker's floor "${floor}" (SECURITY_FLOOR); ask for ${SECURITY_PROFILES.slice(SECURITY_PROFILES.indexOf(floor)).join(', ')}`,
      { details: { requested, floor } },
    );
  }
}

/**
 * The profile a container gets: the requested one when it is at least the floor, the
 * floor when none was requested; a weaker request is refused, never silently raised,
 * so the caller knows what it got.
 */
export function resolveProfile(requested: SecurityProfile | undefined, floor: SecurityProfile): SecurityProfile {
  if (requested === undefined) return floor;
  if (SECURITY_PROFILES.indexOf(requested) < SECURITY_PROFILES.indexOf(floor)) throw new SecurityFloorError(requested, floor);
  return requested;
}

/**
 * Caller limits tightened by the profile: for each limit the smaller of the two wins, so a
 * profile can only take away (never grant more memory than was asked).
 */
export function applyProfile<T extends { memoryBytes?: number; cpus?: number; pids?: number }>(limits: T | undefined, profile: SecurityProfile): T & ProfileLimits {
  const p = PROFILE_LIMITS[profile];
  const min = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  return {
    ...(limits ?? ({} as T)),
    ...p,
    memoryBytes: min(limits?.memoryBytes, p.memoryBytes),
    cpus: min(limits?.cpus, p.cpus),
    pids: min(limits?.pids, p.pids),
  };
}
