/**
 * @bosun/sandbox: a workspace's container lifecycle for any transport.
 */
export {
  SandboxService,
  PROFILE_LABEL,
  BIND_SOURCES_LABEL,
  type SandboxServiceOptions,
  type BindMountRequest,
  type CreateContainerRequest,
  type CreatedContainer,
  type ExecRequest,
  type ExecOutcome,
  type CaptureOutcome,
  type BuildContext,
  type BuildRequest,
} from './lib/sandbox-service.js';
export { canonicalRoots, isInsideDir, resolveInsideRoots, stillCanonicalInside } from './lib/allowed-roots.js';
export {
  SECURITY_PROFILES,
  PROFILE_LIMITS,
  SecurityFloorError,
  applyProfile,
  isSecurityProfile,
  resolveProfile,
  type ProfileLimits,
  type SecurityProfile,
} from './lib/security-profile.js';
export { DEFAULT_WORKDIR, setupRepository, type RepositorySpec, type SetupExec, type SetupRequest, type SetupResult } from './lib/repository-setup.js';
