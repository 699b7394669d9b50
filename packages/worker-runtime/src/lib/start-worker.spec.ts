import { describe, expect, it } from 'vitest';
import { withDriverInUse } from './start-worker.js';

describe('withDriverInUse', () => {
  const payload = { name: 'w', containerEngines: [{ name: 'podman', version: '4.3.1' }] };

  it('names the process driver first when the worker fell back to it', () => {
    expect(withDriverInUse(payload, 'process', '0.1.0').containerEngines).toEqual([
      { name: 'process', version: '0.1.0' },
      { name: 'podman', version: '4.3.1' },
    ]);
  });

  it('leaves the engines as found when the worker uses an engine', () => {
    expect(withDriverInUse(payload, 'engine', '0.1.0')).toBe(payload);
  });
});
