/**
 * Shared Vitest settings for every project in the workspace.
 *
 * Tests run from TypeScript sources through the `@bosun/source` export condition,
 * and each project also writes a JSON report under `reports/vitest/` so that
 * `npm test` can print one plain `N passed, N failed` line for the whole run.
 */
import { basename, join } from 'node:path';
import type { ViteUserConfig } from 'vitest/config';

const workspaceRoot = import.meta.dirname;

/** Options a project may override. */
export interface PresetOptions {
  /** Test timeout in ms (default 20 000: real engines and PTYs are slow to start). */
  testTimeout?: number;
  /** Run files one at a time (default false). Use for suites that share a real engine. */
  serial?: boolean;
  /** Extra glob patterns to include. */
  include?: string[];
}

/** Builds the Vitest config for the project whose root is `projectDir`. */
export function bosunVitest(projectDir: string, options: PresetOptions = {}): ViteUserConfig {
  const name = basename(projectDir);
  // No `import` here: Node adds it to ESM imports by itself, and forcing it makes a
  // CommonJS `require('ws')` (inside @fastify/websocket) load ws's ESM wrapper, which
  // has no `WebSocket.Server`.
  const conditions = ['@bosun/source', 'node', 'module', 'default'];
  return {
    root: projectDir,
    cacheDir: join(workspaceRoot, 'node_modules/.vite', name),
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@bosun/source'] } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts', ...(options.include ?? [])],
      testTimeout: options.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      pool: 'forks',
      passWithNoTests: true,
      fileParallelism: !options.serial,
      maxWorkers: 2,
      reporters: [
        'default',
        ['json', { outputFile: join(workspaceRoot, 'reports/vitest', `${name}.json`) }],
      ],
    },
  };
}
