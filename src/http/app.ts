import express, { type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { App } from '../app.ts';
import { tools } from '../tools/index.ts';
import { errorHandler, HttpError, notFound } from './errors.ts';
import { createLogger, requestLogger } from './logger.ts';
import { openApiDocument } from './openapi.ts';
import { chatRouter } from './routes/chat.ts';
import { clausesRouter } from './routes/clauses.ts';
import { documentsRouter } from './routes/documents.ts';
import { healthRouter } from './routes/health.ts';
import { searchRouter } from './routes/search.ts';

export interface HttpOptions {
  logger?: Logger;
  /** Origins allowed to call the API from a browser; defaults to POLICY_ASSISTANT_CORS_ORIGINS. */
  corsOrigins?: string[];
  /** Largest JSON body accepted, in bytes. */
  bodyLimit?: number;
  /**
   * Further routers (the pages and widget of src/http/pages.ts, the MCP endpoint at /mcp), mounted
   * after the API and before the 404 handler. They get the same logging, CORS and error handling
   * but no body parsing: that is applied to /api only.
   */
  extraRouters?: express.Router[];
}

const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Origins from POLICY_ASSISTANT_CORS_ORIGINS, comma-separated; "*" allows any (only when set so). */
export function corsOriginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.POLICY_ASSISTANT_CORS_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

/** The express app serving the API over one App. Routes are thin adapters over tools(app). */
export function createHttpApp(app: App, opts: HttpOptions = {}): express.Express {
  const t = tools(app);
  const http = express();
  http.disable('x-powered-by');

  http.use(requestLogger(opts.logger ?? createLogger()));
  http.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  http.use(cors(opts.corsOrigins ?? corsOriginsFromEnv()));

  http.use('/api', requireJsonBody, express.json({ limit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT }));
  http.use(chatRouter(t), searchRouter(t), clausesRouter(t), documentsRouter(t), healthRouter(app));
  const spec = openApiDocument();
  http.get('/openapi.json', (_req, res) => {
    res.json(spec);
  });
  for (const router of opts.extraRouters ?? []) http.use(router);

  http.use(notFound);
  http.use(errorHandler);
  return http;
}

/** A body that is present must be JSON; a missing or empty one is left to validation ("expected object"). */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (req.is('application/json') === false && req.get('content-length') !== '0') next(new HttpError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json'));
  else next();
};

/**
 * CORS for the embeddable widget: an allowed Origin is echoed (or "*" when configured), preflights
 * are answered here. Other origins get no CORS headers, so browsers refuse them.
 */
function cors(origins: string[]): RequestHandler {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    const ok = origin !== undefined && (any || allowed.has(origin));
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id');
    }
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      if (ok) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
        res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Accept, Last-Event-ID, X-Request-Id');
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
