/** One valid example per jobs message type and body. */
import type { ProtocolExamples } from '../protocol-suite.test-util.js';

const v = 1;
const ts = '2025-01-31T12:00:00.000Z';
const output = {
  job_id: 'job-1',
  status: 'finished',
  exit_code: 0,
  stdout: 'ok\n',
  stderr: '',
  artifacts: [{ path: 'out/report.txt', size: 12, sha256: 'a'.repeat(64) }],
  metrics: { duration_ms: 1200, cpu_ms: 300, max_rss_bytes: 10_000_000 },
};

/** Valid jobs messages and bodies. */
export const jobsExamples: ProtocolExamples = {
  messages: {
    connected: { v, type: 'connected', server_version: '0.1.0', heartbeat_interval_ms: 15_000 },
    subscribe: { v, type: 'subscribe', id: 's-1', job_id: 'job-1', replay: true },
    unsubscribe: { v, type: 'unsubscribe', job_id: 'job-1' },
    job_status: { v, type: 'job_status', job_id: 'job-1', status: 'execute', ts },
    job_output: { v, type: 'job_output', job_id: 'job-1', stream: 'stdout', data: 'ok\n', offset: 0 },
    job_complete: { v, type: 'job_complete', job_id: 'job-1', result: output },
    job_error: { v, type: 'job_error', job_id: 'job-1', code: 'image_missing', message: 'no image localhost/x' },
    heartbeat: { v, type: 'heartbeat', ts },
    error: { v, type: 'error', id: 's-1', code: 'not_found', message: 'no job job-9' },
  },
  bodies: {
    'job.input': {
      job_id: 'job-1',
      command: ['python3', 'main.py'],
      files: [
        { path: 'main.py', content: 'print("ok")\n' },
        { path: 'data/blob.bin', content: 'AAEC', encoding: 'base64' },
      ],
      limits: { timeout_s: 60, memory_mb: 256, cpus: 1, pids: 64, output_bytes: 1_000_000 },
      config: { image: 'localhost/python:3', network: 'none', env: { PYTHONUNBUFFERED: '1' } },
    },
    'job.output': output,
  },
};
