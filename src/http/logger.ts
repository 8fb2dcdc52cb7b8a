import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';
import { config, secretsFromEnv } from '../config.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** The request's child logger, carrying its request id. */
      log: Logger;
      requestId: string;
    }
  }
}

/**
 * JSON logs on stdout (or `destination`), level from LOG_LEVEL (default info). Secrets never reach
 * the output: credential-named fields are redacted wherever a library error may carry them, and as
 * a last line every written line has the values of secret env variables (and `secrets`) masked.
 */
export function createLogger(opts: { level?: string; destination?: DestinationStream; secrets?: string[] } = {}): Logger {
  const level = opts.level ?? config().logLevel;
  const mask = masker([...secretsFromEnv(), ...(opts.secrets ?? [])]);
  return pino(
    {
      level,
      base: { service: 'policy-assistant' },
      redact: { paths: ['apiKey', '*.apiKey', 'authorization', '*.authorization', '*.headers.authorization', '*.headers.cookie'], censor: REDACTED },
      hooks: { streamWrite: mask },
    },
    opts.destination,
  );
}

const REDACTED = '[redacted]';

/** Replaces each secret, raw or as escaped inside a JSON string, with [redacted]. */
function masker(secrets: string[]): ((line: string) => string) | undefined {
  const forms = [...new Set(secrets.filter(Boolean).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  if (!forms.length) return undefined;
  return (line) => forms.reduce((out, s) => (out.includes(s) ? out.split(s).join(REDACTED) : out), line);
}

/** How much of a user's text a log line may carry: enough to recognise a request, not to store it. */
export const PREFIX_CHARS = 24;

export const textPrefix = (s: string): string => (s.length > PREFIX_CHARS ? `${s.slice(0, PREFIX_CHARS)}…` : s);

/**
 * A user's text (a question, a search query) is personal: it is logged only at debug level, as a
 * short prefix, so info-level logs of a production server never hold what people asked.
 */
export function logUserText(log: Logger, field: 'question' | 'query', text: string): void {
  log.debug({ [field]: textPrefix(text), chars: text.length }, `${field} received`);
}

// A client may pass its own id to correlate logs, if it is short and plain.
const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Gives each request an id (echoed as X-Request-Id) and a child logger, and logs one line when the
 * response finishes or the client goes away. Headers and bodies are never logged: they may carry
 * credentials or personal questions; routes log a short prefix where it helps.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && CLIENT_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.locals.log = logger.child({ reqId: requestId });
    res.setHeader('X-Request-Id', requestId);
    const start = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      res.locals.log.info(
        {
          method: req.method,
          // the query string is left out: it may carry a user's text
          path: req.originalUrl.split('?')[0]!.slice(0, 200),
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          bytesIn: Number(req.get('content-length') ?? 0),
          // false when the client disconnected before the response was complete
          completed: res.writableFinished,
        },
        'request',
      );
    });
    next();
  };
}
