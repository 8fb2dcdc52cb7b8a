import helmet from 'helmet';
import type { RequestHandler } from 'express';
import { ConfigError } from '../errors.ts';

/**
 * Response headers and cross-origin rules for a server on the public internet: helmet's headers,
 * a Content-Security-Policy for the JSON surfaces, CORS for the sites embedding the widget, and
 * which proxies (if any) may tell us the client's address.
 */

/**
 * For responses that are data, never a document: nothing may load, frame or submit from them. HTML
 * routers set their own policy (pages.ts: a per-request nonce), so this is applied per surface
 * rather than globally.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const apiCsp: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', API_CSP);
  next();
};

const HSTS_SECONDS = 180 * 24 * 3600;

/**
 * helmet's defaults (nosniff, X-Frame-Options SAMEORIGIN, COOP and CORP same-origin, no-referrer,
 * Origin-Agent-Cluster, …) minus its global CSP (see API_CSP). CORP same-origin keeps other pages
 * from loading API responses as scripts or images; CORS fetches are not subject to it, and
 * /widget.js, which other sites embed, overrides it with cross-origin in pages.ts.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: false,
    // Without includeSubDomains: sibling hosts of a government domain may still be plain HTTP.
    strictTransportSecurity: { maxAge: HSTS_SECONDS, includeSubDomains: false },
  });
}

/** "https://Example.org:443/" → "https://example.org", as browsers send it; anything but an origin throws. */
function normaliseOrigin(s: string): string {
  if (s === '*') return s;
  const url = URL.canParse(s) ? new URL(s) : undefined;
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.pathname !== '/' || url.search || url.hash)
    throw new ConfigError(`POLICY_ASSISTANT_CORS_ORIGINS: "${s}" is not an origin such as https://www.beijing.gov.cn`);
  return url.origin;
}

/**
 * CORS for the embeddable widget: an allowed Origin is echoed (or "*" when configured), preflights
 * are answered here. Other origins get no CORS headers, so browsers refuse them. No credentials:
 * the API uses no cookies.
 */
export function cors(origins: string[]): RequestHandler {
  const normalised = origins.map(normaliseOrigin);
  const any = normalised.includes('*');
  const allowed = new Set(normalised);
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    const ok = origin !== undefined && (any || allowed.has(origin));
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      // Retry-After lets the widget say how long to wait after a 429.
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After');
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
