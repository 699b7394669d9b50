import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The part of Vitest's JSON report that `npm test` sums. */
interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

/** Adds up the JSON reports Vitest wrote into `dir`, one per project. */
export function summarise(dir: string): { passed: number; failed: number; skipped: number; brokenFiles: number } {
  const total = { passed: 0, failed: 0, skipped: 0, brokenFiles: 0 };
  if (!existsSync(dir)) return total;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(join(dir, file), 'utf8')) as VitestJson;
    total.passed += r.numPassedTests;
    total.failed += r.numFailedTests;
    total.skipped += r.numPendingTests + r.numTodoTests;
    total.brokenFiles += r.numFailedTestSuites;
  }
  return total;
}
