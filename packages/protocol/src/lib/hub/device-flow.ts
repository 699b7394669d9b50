/**
 * OAuth 2.0 Device Authorization Grant (RFC 8628) and token bodies: plain HTTP JSON
 * with the RFC's field names, no envelope. Loose objects on purpose: RFC 6749 §5.1
 * says clients must ignore response fields they do not know, so extra fields pass
 * through untouched.
 */
import { z } from 'zod';

/** `POST /oauth/device/code` request (RFC 8628 §3.1). */
export const DeviceAuthorizationRequestSchema = z.looseObject({
  client_id: z.string().min(1).max(256),
  scope: z.string().max(1024).optional(),
});
/** A {@link DeviceAuthorizationRequestSchema} body. */
export type DeviceAuthorizationRequest = z.infer<typeof DeviceAuthorizationRequestSchema>;

/** Device authorization response (RFC 8628 §3.2). */
export const DeviceAuthorizationResponseSchema = z.looseObject({
  device_code: z.string().min(1).max(1024),
  user_code: z.string().min(1).max(64),
  verification_uri: z.url(),
  verification_uri_complete: z.url().optional(),
  /** Lifetime of the codes in seconds. */
  expires_in: z.int().min(1),
  /** Seconds to wait between token polls (default 5, per the RFC). */
  interval: z.int().min(1).optional(),
});
/** A {@link DeviceAuthorizationResponseSchema} body. */
export type DeviceAuthorizationResponse = z.infer<typeof DeviceAuthorizationResponseSchema>;

/** Grant type of a device token request. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** `POST /oauth/token` poll (RFC 8628 §3.4). */
export const DeviceTokenRequestSchema = z.looseObject({
  grant_type: z.literal(DEVICE_CODE_GRANT_TYPE),
  device_code: z.string().min(1).max(1024),
  client_id: z.string().min(1).max(256),
});
/** A {@link DeviceTokenRequestSchema} body. */
export type DeviceTokenRequest = z.infer<typeof DeviceTokenRequestSchema>;

/** Successful token response (RFC 6749 §5.1). */
export const TokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  /** Usually `Bearer` (compared case-insensitively by clients). */
  token_type: z.string().min(1).max(64),
  expires_in: z.int().min(0).optional(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().max(1024).optional(),
});
/** A {@link TokenResponseSchema} body. */
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

/** Error codes of the token endpoint (RFC 6749 §5.2 and RFC 8628 §3.5). */
export const OAuthErrorCodeSchema = z.enum([
  'authorization_pending',
  'slow_down',
  'access_denied',
  'expired_token',
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);
/** A {@link OAuthErrorCodeSchema} value. */
export type OAuthErrorCode = z.infer<typeof OAuthErrorCodeSchema>;

/** Error response of the device and token endpoints (RFC 6749 §5.2). */
export const OAuthErrorResponseSchema = z.looseObject({
  error: OAuthErrorCodeSchema,
  error_description: z.string().max(4096).optional(),
  error_uri: z.url().optional(),
});
/** A {@link OAuthErrorResponseSchema} body. */
export type OAuthErrorResponse = z.infer<typeof OAuthErrorResponseSchema>;
