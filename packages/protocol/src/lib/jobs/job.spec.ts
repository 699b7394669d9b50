import { describe, expect, it } from 'vitest';
import { parseBody } from '../parse.js';
import { describeProtocol } from '../protocol-suite.test-util.js';
import { jobsExamples } from './examples.test-util.js';
import { jobsProtocol } from './stream.js';

describeProtocol(jobsProtocol, jobsExamples);

const input = jobsExamples.bodies?.['job.input'] as Record<string, unknown>;

describe('JobInputSchema', () => {
  it('accepts a command when it is a shell string', () => {
    expect(parseBody(jobsProtocol, 'job.input', { job_id: 'j', command: 'echo hi | wc -c' }).ok).toBe(true);
  });

  it.each([['../escape.py'], ['/etc/passwd'], ['a/../../b'], ['a\u0000b']])(
    'rejects the file path %j when it is absolute or climbs out',
    (path) => {
      const result = parseBody(jobsProtocol, 'job.input', { ...input, files: [{ path, content: 'x' }] });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('invalid_field');
        expect(result.error.path.slice(0, 2)).toEqual(['files', 0]);
      }
    },
  );

  it('rejects base64 content when it is not base64', () => {
    const files = [{ path: 'a.bin', content: '***', encoding: 'base64' }];
    expect(parseBody(jobsProtocol, 'job.input', { ...input, files }).ok).toBe(false);
  });

  it('names the limit when a limit is out of range', () => {
    const result = parseBody(jobsProtocol, 'job.input', { ...input, limits: { timeout_s: 0 } });
    expect(!result.ok && result.error.path).toEqual(['limits', 'timeout_s']);
  });

  it('rejects host networking when a job asks for it', () => {
    const result = parseBody(jobsProtocol, 'job.input', { ...input, config: { network: 'host' } });
    expect(!result.ok && result.error.path).toEqual(['config', 'network']);
  });
});
