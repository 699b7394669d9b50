/**
 * The hub's one HTTP error body, `{ error: { code, message, hint?, path?, details? } }`,
 * with the status the error-code registry gives the code ({@link httpStatusOf}). Every
 * failure answers in this shape: the routes' own refusals, zod validation, and
 * fastify's own errors (bad or empty JSON, a missing or unsupported content-type, a
 * body past the limit, a malformed URL, an unknown route). `hint` says what the caller
 * can do about it, where there is something to do.
 */
import { ERROR_CODES, httpStatusOf, isBosunError, toErrorBody, type ErrorCode } from '@bosun/protocol';
import type { Logger } from '@bosun/logger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Sends the hub's one error body, `{ error: { code, message, ...extra } }`, with the
 * code's HTTP status from the error-code registry (500 for an unregistered code).
 */
export function sendError(reply: FastifyReply, code: string, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(httpStatusOf(code)).send({ error: { code, message, ...extra } });
}

/** A fastify-level failure as the hub's code, message and hint. */
interface Mapped {
  code: ErrorCode;
  message: string;
  hint?: string;
}

const JSON_HINT = 'send content-type: application/json';

/**
 * How fastify's own errors (`FST_ERR_…`) read in the hub's error body.
 *
 * @param contentType - the request's content-type, named in a 415's message (default: "missing")
 */
export function fastifyErrorBody(err: FastifyError, contentType?: string): Mapped {
  const unsupported = (): Mapped => ({
    code: 'unsupported_media_type',
    message: contentType ? `content-type ${contentType.slice(0, 100)} is not accepted` : 'the body has no content-type',
    hint: JSON_HINT,
  });
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'invalid_json', message: 'the body is not valid JSON', hint: 'send a JSON object, e.g. {"name":"local"}' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'invalid_json', message: 'the body is empty but content-type says JSON', hint: 'send a JSON object (at least {}), or no content-type' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupported();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'too_large', message: 'the request body is larger than the hub accepts', hint: 'send a smaller body (the limit is 2 MiB)' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'invalid_argument', message: 'content-length does not match the body' };
    case 'FST_ERR_BAD_URL':
      return { code: 'invalid_argument', message: 'the URL is malformed', hint: 'percent-encode the path' };
    default:
      break;
  }
  if (err.statusCode === 413) return { code: 'too_large', message: err.message };
  if (err.statusCode === 415) return unsupported();
  if (err.statusCode === 404) return { code: 'not_found', message: err.message };
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return { code: 'invalid_argument', message: err.message };
  return { code: 'internal', message: 'internal error' };
}

/**
 * An error handler, for the root and for any plugin's routes: registered codes keep
 * their code (a validation failure answers `invalid_field` with `path`), fastify's own
 * errors get the nearest code and a hint ({@link fastifyErrorBody}), anything else is
 * `internal` and logged (its message is not sent).
 */
export function errorHandler(logger: Logger) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (isBosunError(err) || Object.prototype.hasOwnProperty.call(ERROR_CODES, err.code ?? '')) {
      const body = toErrorBody(err);
      const { path, ...rest } = body.details ?? {};
      // A route that reads a body and got none: say how to send one.
      const noBody = body.code === 'invalid_field' && req.body == null && Array.isArray(path) && path.length === 0;
      return sendError(reply, body.code, noBody ? 'this route needs a JSON body' : body.message, {
        ...(noBody ? { hint: `${JSON_HINT} and a JSON object body` } : {}),
        ...(path === undefined ? {} : { path }),
        ...(Object.keys(rest).length > 0 ? { details: rest } : {}),
      });
    }
    const ct = req.headers['content-type'];
    const mapped = fastifyErrorBody(err, Array.isArray(ct) ? ct[0] : ct);
    if (mapped.code === 'internal') logger.error({ err: err.message, code: err.code, url: req.url }, 'request failed');
    return sendError(reply, mapped.code, mapped.message, mapped.hint === undefined ? {} : { hint: mapped.hint });
  };
}

/** The not-found handler: `404 not_found` naming the method and path, with a pointer to the API reference. */
export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = req.url.split('?')[0]?.slice(0, 256) ?? '';
  return sendError(reply, 'not_found', `no route ${req.method} ${path}`, { hint: 'the routes are listed at /api/docs' });
}
