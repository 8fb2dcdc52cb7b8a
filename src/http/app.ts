import express, { type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { App } from '../app.ts';
import { tools, TOOLS, type ToolCatalogue } from '../tools/index.ts';
import { httpRequests } from './routes/requests.ts';
import { errorHandler, HttpError, notFound } from './errors.ts';
import { createLogger, requestLogger } from './logger.ts';
import { openApiDocument } from './openapi.ts';
import { overloadSettings, refuseWhenFull, WorkGate, type OverloadSettings, type WorkControl } from './overload.ts';
import { rateLimitRules, rateLimits, type RateLimitSettings } from './rate-limit.ts';
import { chatRouter } from './routes/chat.ts';
import { clausesRouter } from './routes/clauses.ts';
import { documentsRouter } from './routes/documents.ts';
import { healthRouter } from './routes/health.ts';
import { searchRouter } from './routes/search.ts';
import { apiCsp, cors, securityHeaders } from './security.ts';
import { config, type TrustProxy } from '../config.ts';
import { ConfigError } from '../errors.ts';

export interface HttpOptions {
  logger?: Logger;
  /** Origins allowed to call the API from a browser; default from POLICY_ASSISTANT_CORS_ORIGINS . */
  corsOrigins?: string[];
  /** Largest JSON body accepted, in bytes. */
  bodyLimit?: number;
  /**
   * Per-client rate limits by route class ("20/60s", "off"); each unset one comes from
   * POLICY_ASSISTANT_RATE_LIMIT_CHAT / _SEARCH / _API, else the defaults in rate-limit.ts.
   */
  rateLimits?: RateLimitSettings;
  /** Which proxies may name the client in X-Forwarded-For; default POLICY_ASSISTANT_TRUST_PROXY, else none. */
  trustProxy?: TrustProxy;
  /**
   * Further routers (the pages and widget of src/http/pages.ts, the MCP endpoint at /mcp), mounted
   * after the API and before the 404 handler. They get the same logging, CORS and error handling
   * but no body parsing: that is applied to /api only.
   */
  extraRouters?: express.Router[];
  /** The tools' schemas the routes and /openapi.json derive from (tests vary them). */
  catalogue?: ToolCatalogue;
  /** Bounds on work and connections; each unset one from the configuration (POLICY_ASSISTANT_MAX_IN_FLIGHT…). */
  overload?: Partial<OverloadSettings>;
  /** The gate bounding answer/search work, when it is shared (with /mcp); else one is made from `overload`. */
  work?: WorkControl;
}

const DEFAULT_BODY_LIMIT = 64 * 1024;

/** The express app serving the API over one App. Routes are thin adapters over tools(app). */
export function createHttpApp(app: App, opts: HttpOptions = {}): express.Express {
  const catalogue = opts.catalogue ?? TOOLS;
  const t = tools(app, catalogue);
  const work = opts.work ?? workControl(overloadSettings(opts.overload));
  const http = express();
  http.disable('x-powered-by');
  setTrustProxy(http, opts.trustProxy ?? config().trustProxy);

  const logger = opts.logger ?? createLogger();
  http.use(requestLogger(logger));
  http.use(securityHeaders());
  http.use(['/api', '/healthz', '/openapi.json', '/mcp'], apiCsp);
  http.use(cors(opts.corsOrigins ?? config().corsOrigins));
  // After CORS, so a widget on another site can read the 429; before parsing, so its body is never read.
  http.use(rateLimits(rateLimitRules(opts.rateLimits), { redis: app.conversations.redis, logger }));

  http.post(['/api/chat', '/api/search'], refuseWhenFull(work.gate));
  http.use('/api', requireJsonBody, express.json({ limit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT }));
  const requests = httpRequests(catalogue);
  // /healthz is never behind the gate: it must answer at once however busy the server is.
  http.use(chatRouter(t, requests, work), searchRouter(t, requests, work), clausesRouter(t, requests), documentsRouter(t, requests), healthRouter(app, () => work.gate.stats()));
  const spec = openApiDocument(catalogue);
  http.get('/openapi.json', (_req, res) => {
    res.json(spec);
  });
  for (const router of opts.extraRouters ?? []) http.use(router);

  http.use(notFound);
  http.use(errorHandler);
  return http;
}

/** The gate and cancellation switch the bounded routes share. */
export function workControl(settings: OverloadSettings): WorkControl {
  return { gate: new WorkGate(settings), cancelOnDisconnect: settings.cancelOnDisconnect };
}

function setTrustProxy(http: express.Express, value: TrustProxy): void {
  try {
    http.set('trust proxy', value);
  } catch {
    // proxy-addr's own message names neither the setting nor the variable.
    throw new ConfigError(`POLICY_ASSISTANT_TRUST_PROXY: ${JSON.stringify(value)} is not a hop count or a list of addresses/subnets`);
  }
}

/** A body that is present must be JSON; a missing or empty one is left to validation ("expected object"). */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (req.is('application/json') === false && req.get('content-length') !== '0') next(new HttpError('unsupported_media_type', 'send the body as JSON with Content-Type: application/json'));
  else next();
};
