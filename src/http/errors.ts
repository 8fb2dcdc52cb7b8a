import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AppError, edgeOf, ERROR_CATALOGUE, type ErrorCode } from '../errors.ts';
import { API_CSP } from './security.ts';

/**
 * The one place errors become HTTP responses. Routes throw (tool errors, zod errors, HttpError);
 * body-parser and the router throw http-errors; everything lands here as
 * {"error":{"code","message"}} with a 4xx, or a 500 whose message reveals nothing internal.
 */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** An error the HTTP layer itself raises (unsupported media type, unknown route, wrong method). */
export class HttpError extends AppError {}

// body-parser's error types; their own messages can quote parser internals, so ours replace them.
const BODY_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  'entity.too.large': { code: 'payload_too_large', message: 'the request body is too large' },
  'entity.parse.failed': { code: 'malformed_json', message: 'the request body is not valid JSON (an object is expected)' },
  'charset.unsupported': { code: 'unsupported_media_type', message: 'send the body as UTF-8 JSON' },
  'encoding.unsupported': { code: 'unsupported_media_type', message: 'the content encoding is not supported; send plain JSON' },
  'request.aborted': { code: 'request_aborted', message: 'the request was aborted' },
  'request.size.invalid': { code: 'bad_request', message: 'the request body size does not match its Content-Length' },
};

const MAX_MESSAGE = 500;

/** Status and body for any thrown value; `internal` is true when it was not a client error. */
export function translateError(err: unknown, requestId?: string): { status: number; body: ErrorBody; internal: boolean } {
  const out = (code: ErrorCode, message: string, status: number = ERROR_CATALOGUE[code].http) => ({
    status,
    body: { error: { code, message: message.slice(0, MAX_MESSAGE) } },
    internal: code === 'internal',
  });
  if (err instanceof AppError) {
    const edge = edgeOf(err);
    // Set-up problems (model, index, configuration) say what to fix on the server, not to the client.
    return edge.http >= 500 && edge.code !== 'unavailable' ? out('internal', internalMessage(requestId), edge.http) : out(edge.code, edge.message);
  }
  if (err instanceof ZodError) return out('invalid_input', zodMessage(err));
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e?.type === 'string' && BODY_ERRORS[e.type]) {
    const b = BODY_ERRORS[e.type]!;
    return out(b.code, b.message);
  }
  // Other client errors from express and its router, e.g. a malformed %-escape in a path (a
  // URIError with status 400); their messages are shown only when marked safe to expose.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return out('bad_request', e.expose === true && typeof e.message === 'string' ? e.message : 'the request is malformed (a bad %-escape in the URL, say)', e.status);
  return out('internal', internalMessage(requestId));
}

const internalMessage = (requestId?: string) => `internal error${requestId ? ` (request id ${requestId})` : ''}; the server logged it`;

function zodMessage(err: ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  const { status, body, internal } = translateError(err, res.locals.requestId);
  const log = res.locals.log;
  if (internal) log.error({ err }, 'unhandled error');
  else log.debug({ code: body.error.code }, body.error.message);
  // Headers already went out (a response was half written): the only honest signal left is to cut
  // it. Cancelled work (its client left) has nobody to answer either.
  if (res.headersSent || body.error.code === 'cancelled') {
    res.destroy();
    return;
  }
  // Errors are JSON whichever router failed, an HTML page's included, so they get the JSON policy.
  res.setHeader('Content-Security-Policy', API_CSP);
  res.status(status).json(body);
};

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError('not_found', `no route ${req.method} ${req.path.slice(0, 100)}; the API is described at /openapi.json`));
};

/** For a route's `.all()`: the path exists but not with this method. */
export const methodNotAllowed =
  (...allowed: string[]): RequestHandler =>
  (req, res, next) => {
    res.setHeader('Allow', allowed.join(', '));
    next(new HttpError('method_not_allowed', `${req.method} is not allowed here; use ${allowed.join(' or ')}`));
  };
