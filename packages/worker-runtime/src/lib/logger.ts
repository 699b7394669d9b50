/** The shared logger contract; see `@bosun/logger`. */
export { silentLogger, type LogFn, type Logger } from '@bosun/logger';
