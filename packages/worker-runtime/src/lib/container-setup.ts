/**
 * Moved to `@bosun/sandbox` (`setupRepository`, reached through
 * `SandboxService.setupRepository`); `DEFAULT_WORKDIR` is re-exported so
 * `@bosun/worker-runtime`'s public names keep working.
 */
export { DEFAULT_WORKDIR } from '@bosun/sandbox';
