/**
 * Moved to `@bosun/sandbox`; re-exported so `@bosun/worker-runtime`'s public names keep
 * working. New code imports from `@bosun/sandbox`.
 */
export {
  SECURITY_PROFILES,
  PROFILE_LIMITS,
  SecurityFloorError,
  applyProfile,
  resolveProfile,
  type ProfileLimits,
  type SecurityProfile,
} from '@bosun/sandbox';
