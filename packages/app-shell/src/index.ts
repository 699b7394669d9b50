export { ExitCode, runApp, type AppContext, type AppDefinition, type AppHandle, type CommandDefinition, type RunOptions } from './lib/run-app.js';
export { readPackageVersion } from './lib/package-version.js';
export { defaultOf, describeConfigKey, formatDefault, formatEnvOnlyKeys, formatExamples, type CommandExample } from './lib/help-text.js';
export { errorLine, errorSummary, messageOf } from './lib/error-line.js';
export { haveScript, runEntry, runEntryOnTerminal, type EntryResult, type RunEntryOptions } from './lib/run-entry.js';
export { formatLogLineAsText, LogTap, RotatingFileSink, textLogStream, type RotatingFileOptions } from './lib/log-sinks.js';
