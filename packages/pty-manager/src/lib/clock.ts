/** Time source and timers, injected so idle reaping can be tested without waiting (one home: @bosun/util). */
export { systemClock, type Clock } from '@bosun/util';
