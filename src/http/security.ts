import helmet from 'helmet';
import type { RequestHandler } from 'express';

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

/**
 * Origins from POLICY_ASSISTANT_CORS_ORIGINS, comma-separated. "*" allows any origin, only when set
 * so; with the variable unset, none, except under NODE_ENV=development, where any is allowed.
 */
export function corsOriginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.POLICY_ASSISTANT_CORS_ORIGINS?.trim();
  if (!raw) return env.NODE_ENV === 'development' ? ['*'] : [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** "https://Example.org:443/" → "https://example.org", as browsers send it; anything but an origin throws. */
function normaliseOrigin(s: string): string {
  if (s === '*') return s;
  const url = URL.canParse(s) ? new URL(s) : undefined;
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.pathname !== '/' || url.search || url.hash)
    throw new Error(`CORS origin "${s}" is not an origin such as https://www.beijing.gov.cn (check POLICY_ASSISTANT_CORS_ORIGINS)`);
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

/** express's `trust proxy`: false (use the socket's address), a hop count, or addresses/subnets. */
export type TrustProxy = boolean | number | string[];

/**
 * POLICY_ASSISTANT_TRUST_PROXY: unset, "false" or "0" → the socket address is the client (the
 * default, so nobody can pick their own rate-limit bucket with X-Forwarded-For); a number → that
 * many proxy hops; "true" → any X-Forwarded-For (only when nothing can reach the server but the
 * proxy); else a comma-separated list of proxy addresses, subnets or express's names ("loopback",
 * "uniquelocal").
 */
export function trustProxyFromEnv(env: NodeJS.ProcessEnv = process.env): TrustProxy {
  const raw = env.POLICY_ASSISTANT_TRUST_PROXY?.trim().toLowerCase();
  if (!raw || raw === 'false' || raw === '0') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
