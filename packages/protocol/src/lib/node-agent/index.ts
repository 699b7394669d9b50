export * from './acp.js';
export * from './logs.js';
export * from './messages.js';
export * from './rest.js';
export * from './terminal.js';
