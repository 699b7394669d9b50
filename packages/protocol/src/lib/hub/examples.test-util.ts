/** One valid example per hub message type and body. */
import type { ProtocolExamples } from '../protocol-suite.test-util.js';

const v = 1;

/** Valid hub messages and bodies. */
export const hubExamples: ProtocolExamples = {
  messages: {
    'task.assign': {
      v,
      type: 'task.assign',
      id: 't-1',
      taskId: 'task-1',
      kind: 'job',
      payload: { job_id: 'job-1', command: 'make test' },
      deadlineMs: 600_000,
    },
    'task.assign.result': { v, type: 'task.assign.result', id: 't-1', taskId: 'task-1', accepted: true },
    'task.update': { v, type: 'task.update', taskId: 'task-1', state: 'running', progress: 0.5, message: 'testing' },
    'task.result': { v, type: 'task.result', taskId: 'task-1', status: 'failed', error: { code: 'timeout', message: 'took too long' } },
    'task.cancel': { v, type: 'task.cancel', id: 't-2', taskId: 'task-1' },
    'task.cancel.result': { v, type: 'task.cancel.result', id: 't-2', taskId: 'task-1', cancelled: false },
    'tunnel.open': { v, type: 'tunnel.open', id: 'u-1', tunnelId: 'tun-1', workspaceId: 'ws-1', port: 3000 },
    'tunnel.open.result': { v, type: 'tunnel.open.result', id: 'u-1', tunnelId: 'tun-1' },
    'tunnel.data': { v, type: 'tunnel.data', tunnelId: 'tun-1', seq: 0, data: 'R0VUIC8gSFRUUC8xLjENCg==' },
    'tunnel.close': { v, type: 'tunnel.close', tunnelId: 'tun-1', reason: 'peer closed' },
    error: { v, type: 'error', code: 'unauthorized', message: 'token revoked' },
  },
  bodies: {
    'device.authorization.request': { client_id: 'bosun-cli', scope: 'worker' },
    'device.authorization.response': {
      device_code: 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS',
      user_code: 'WDJB-MJHT',
      verification_uri: 'https://hub.example.com/device',
      verification_uri_complete: 'https://hub.example.com/device?user_code=WDJB-MJHT',
      expires_in: 1800,
      interval: 5,
    },
    'device.token.request': {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS',
      client_id: 'bosun-cli',
    },
    'token.response': {
      access_token: 'eyJhbGciOiJFZERTQSJ9.e30.sig',
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: 'r-1',
      scope: 'worker',
    },
    'oauth.error.response': { error: 'authorization_pending', error_description: 'waiting for the user' },
    'agent.registration.request': {
      name: 'laptop',
      hostname: 'laptop.local',
      platform: 'linux',
      agentVersion: '0.1.0',
      mode: 'byom',
      labels: { gpu: 'none' },
    },
    'agent.registration.response': {
      workerId: 'w-42',
      token: 'bosun_wt_0123456789abcdef',
      orchestratorUrl: 'wss://hub.example.com/v1/worker',
    },
  },
};
