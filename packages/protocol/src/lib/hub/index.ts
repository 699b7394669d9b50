export * from './device-flow.js';
export * from './messages.js';
export * from './registration.js';
