export { ExitCode, runApp, type AppContext, type AppDefinition, type AppHandle, type CommandDefinition, type RunOptions } from './lib/run-app.js';
export { readPackageVersion } from './lib/package-version.js';
