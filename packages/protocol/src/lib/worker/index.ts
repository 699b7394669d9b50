export * from './containers.js';
export * from './display.js';
export * from './exec.js';
export * from './images.js';
export * from './messages.js';
export * from './register.js';
export * from './terminals.js';
