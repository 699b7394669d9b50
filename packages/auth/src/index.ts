/**
 * @bosun/auth: who may call. JWT validation against a control plane's JWKS and the claims
 * contract (node agent, hub), token issuing with rotating keys (hub), and the CLI's and
 * worker's credentials and registry files.
 */
export { AUTH_REASONS, AuthError, isAuthError, type AuthReason } from './lib/auth-error.js';
export {
  AUDIENCE_NODE_MANAGEMENT,
  AUDIENCE_WORKSPACE_TERMINAL,
  MAX_TOKEN_LENGTH,
  authorize,
  bearerToken,
  redactToken,
  type RouteScope,
  type VerifiedClaims,
} from './lib/claims.js';
export {
  JwtVerifier,
  MAX_CLOCK_TOLERANCE_SEC,
  MAX_VERIFIED_CACHE,
  VERIFIER_ALGORITHMS,
  isLoopbackHost,
  type JwtVerifierOptions,
  type VerifierAlgorithm,
  type VerifyScope,
} from './lib/jwt-verifier.js';
export {
  DEFAULT_RETIRE_AFTER_MS,
  KeyRing,
  type JwksDocument,
  type KeyRingOptions,
  type PublicJwk,
  type SigningAlgorithm,
  type SigningKey,
} from './lib/key-ring.js';
export { TokenIssuer, type MintRequest, type MintedToken, type TokenIssuerOptions } from './lib/token-issuer.js';
export { InsecureFileError, isInsecureFile, readPrivateFileSync, readPrivateJsonSync } from './lib/private-file.js';
export { withFileLock, type FileLockOptions } from './lib/file-lock.js';
export { CredentialsStore, type Credentials } from './lib/credentials-store.js';
export { Registry, type RegistryEntry, type RegistryOptions } from './lib/registry.js';
