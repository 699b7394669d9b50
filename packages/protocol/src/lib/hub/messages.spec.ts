import { describe, expect, it } from 'vitest';
import { parseBody } from '../parse.js';
import { describeProtocol } from '../protocol-suite.test-util.js';
import { hubExamples } from './examples.test-util.js';
import { hubProtocol } from './messages.js';

describeProtocol(hubProtocol, hubExamples);

describe('RFC 8628 bodies', () => {
  it('keeps unknown response fields when the server adds some (RFC 6749 §5.1)', () => {
    const body = { ...(hubExamples.bodies?.['token.response'] as object), id_token: 'x' };
    const result = parseBody(hubProtocol, 'token.response', body);
    expect(result.ok && result.message).toMatchObject({ id_token: 'x' });
  });

  it.each([['authorization_pending'], ['slow_down'], ['access_denied'], ['expired_token']])(
    'accepts the device flow error %s when polling',
    (error) => {
      expect(parseBody(hubProtocol, 'oauth.error.response', { error }).ok).toBe(true);
    },
  );

  it('names the field when the device response lacks user_code', () => {
    const { user_code: _dropped, ...body } = hubExamples.bodies?.['device.authorization.response'] as Record<string, unknown>;
    const result = parseBody(hubProtocol, 'device.authorization.response', body);
    expect(!result.ok && result.error.path).toEqual(['user_code']);
  });

  it('rejects a token request when the grant type is not the device code grant', () => {
    const body = { ...(hubExamples.bodies?.['device.token.request'] as object), grant_type: 'password' };
    const result = parseBody(hubProtocol, 'device.token.request', body);
    expect(!result.ok && result.error.path).toEqual(['grant_type']);
  });
});
