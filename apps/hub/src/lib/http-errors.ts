import { ERROR_CODES, httpStatusOf, isBosunError, toErrorBody, type ErrorCode } from '@bosun/protocol';
import type { Logger } from '@bosun/logger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Sends the hub's one error body, `{ error: { code, message, ...extra } }`, with the
 * code's HTTP status from the error-code registry.
 */
export function sendError(reply: FastifyReply, code: string, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(httpStatusOf(code)).send({ error: { code, message, ...extra } });
}

/** The code a fastify-level failure (body parser, limits) maps to. */
function fastifyCode(err: FastifyError): ErrorCode {
  if (err.statusCode === 413) return 'too_large';
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'invalid_json';
  if (err.statusCode === 415) return 'invalid_argument';
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return 'invalid_field';
  return 'internal';
}

/**
 * An error handler for a plugin's routes: registered codes keep their code (a
 * validation failure answers `invalid_field` with `path`), fastify's own 4xx errors get
 * the nearest code, anything else is `internal` and logged.
 */
export function errorHandler(logger: Logger) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (isBosunError(err) || Object.prototype.hasOwnProperty.call(ERROR_CODES, err.code ?? '')) {
      const body = toErrorBody(err);
      const { path, ...rest } = body.details ?? {};
      return sendError(reply, body.code, body.message, {
        ...(path === undefined ? {} : { path }),
        ...(Object.keys(rest).length > 0 ? { details: rest } : {}),
      });
    }
    const code = fastifyCode(err);
    if (code === 'internal') logger.error({ err: err.message, url: req.url }, 'request failed');
    return sendError(reply, code, code === 'internal' ? 'internal error' : err.message);
  };
}
