/**
 * @bosun/protocol: every wire message of Bosun as a zod schema with its inferred
 * type, one module per protocol, plus the parsers, the error class, the binary
 * terminal frame codec and the JSON Schema export.
 */
export * from './lib/envelope.js';
export * from './lib/errors.js';
export * from './lib/error-codes.js';
export { jsonTextDepth, valueDepth } from './lib/depth.js';
export * from './lib/fields.js';
export * from './lib/parse.js';
export * from './lib/protocol.js';
export * from './lib/terminal-frame.js';
export * from './lib/versions.js';
export * from './lib/worker/index.js';
export * from './lib/node-agent/index.js';
export * from './lib/ssh-agent/index.js';
export * from './lib/jobs/index.js';
export * from './lib/hub/index.js';
export * from './lib/viewer/index.js';
export * from './lib/protocols.js';
export * from './lib/json-schema.js';
