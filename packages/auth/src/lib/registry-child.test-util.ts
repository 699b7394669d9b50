/**
 * One writer of the registry concurrency test, run as its own process: adds `count`
 * entries one `upsert` at a time, each under the file lock.
 *
 * Usage: node --import tsx --conditions=@bosun/source registry-child.test-util.ts <file> <writerId> <count>
 */
import { Registry } from './registry.js';

const [path = '', id = '', count = '0'] = process.argv.slice(2);
const registry = new Registry({ path, lockTimeoutMs: 120_000 });
for (let i = 0; i < Number(count); i++) {
  await registry.upsert({ directory: `/work/${id}/${i}`, workspace: `ws-${id}-${i}`, writer: id });
}
