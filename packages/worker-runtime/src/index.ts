export * from './lib/backoff.js';
export * from './lib/security-profile.js';
export * from './lib/byom-files.js';
