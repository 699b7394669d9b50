export * from './job.js';
export * from './stream.js';
