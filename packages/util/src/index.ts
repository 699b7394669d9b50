/**
 * @bosun/util: the one home of small helpers every package shares.
 */
export { systemClock, type Clock } from './lib/clock.js';
export { withDeadline, remainingMs, DeadlineError, CancelledError, type DeadlineOptions } from './lib/deadline.js';
export { SymlinkRefusedError, writePrivateFile, writePrivateFileSync, writePrivateJson, writePrivateJsonSync } from './lib/atomic-write.js';
export { engineSocketCandidates, parseDockerHost, type EngineEndpoint } from './lib/engine-socket.js';
export { LogThrottle, type LogThrottleOptions } from './lib/log-throttle.js';
export { manualClock, type ManualClock } from './lib/manual-clock.js';
export { readBoundedText } from './lib/bounded-body.js';
export { isLoopbackHost } from './lib/loopback.js';
