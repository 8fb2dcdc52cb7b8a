import { isIPv4, isIPv6 } from 'node:net';
import { Router, type Request, type RequestHandler } from 'express';
import { config, parseRateLimit, type RateRule, type RouteClass } from '../config.ts';
import { HttpError } from './errors.ts';

/**
 * Per-client rate limits: a token bucket per client address and route class, in memory. A bucket
 * holds `limit` tokens and refills at limit/window, so a client may burst up to `limit` requests and
 * then sustain limit per window. Memory is bounded: buckets that have refilled (indistinguishable
 * from a new one) are dropped, and past `maxClients` the least recently seen client is forgotten.
 */

/** Per route class, "N/window" such as "30/60s", "100/1m", "1000/h", or "off"; overrides the configuration. */
export type RateLimitSettings = Partial<Record<RouteClass, string>>;

export const DEFAULT_MAX_CLIENTS = 10_000;

/** The rules in force: an explicit setting, else the configuration (env or default). */
export function rateLimitRules(settings: RateLimitSettings = {}, configured = config().rateLimits): Record<RouteClass, RateRule | null> {
  const rule = (c: RouteClass) => (settings[c] === undefined ? configured[c] : parseRateLimit(settings[c]!));
  return { chat: rule('chat'), search: rule('search'), api: rule('api') };
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private lastSweep: number;

  constructor(
    readonly rule: RateRule,
    private readonly opts: { maxClients?: number; now?: () => number } = {},
  ) {
    this.perMs = rule.limit / rule.windowMs;
    this.lastSweep = this.now();
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes a token for `key`: 0 when the request may go ahead, else the whole seconds until it may. */
  take(key: string): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket) {
      // Re-inserted below, so the Map's order stays least recently seen first.
      this.buckets.delete(key);
      bucket.tokens = this.level(bucket, now);
      bucket.at = now;
    } else {
      this.makeRoom(now);
      bucket = { tokens: this.rule.limit, at: now };
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private level(bucket: { tokens: number; at: number }, now: number): number {
    return Math.min(this.rule.limit, bucket.tokens + (now - bucket.at) * this.perMs);
  }

  private makeRoom(now: number): void {
    // At most once a window, so a flood of new addresses costs O(1) per request amortised.
    if (now - this.lastSweep >= this.rule.windowMs) {
      this.lastSweep = now;
      for (const [key, bucket] of this.buckets) if (this.level(bucket, now) >= this.rule.limit) this.buckets.delete(key);
    }
    const max = this.opts.maxClients ?? DEFAULT_MAX_CLIENTS;
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < max) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * The bucket a request counts against. `req.ip` honours `trust proxy` when configured and is the
 * socket's address otherwise. An IPv6 client usually holds a whole /64, so that is one client;
 * IPv4-mapped addresses count as IPv4.
 */
export function clientKey(req: Request): string {
  const ip = (req.ip ?? req.socket.remoteAddress ?? 'unknown').replace(/%.*$/, '');
  if (ip.startsWith('::ffff:') && isIPv4(ip.slice(7))) return ip.slice(7);
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Middleware applying the rules: /api/chat and /api/search their own, every other /api route and
 * /mcp the looser `api` one. Each request counts against one bucket only. Mounted before body
 * parsing, so a limited client's bodies are never read; a 429 carries Retry-After in seconds.
 */
export function rateLimits(rules: Record<RouteClass, RateRule | null>, maxClients = DEFAULT_MAX_CLIENTS): Router {
  const counted = new WeakSet<Request>();
  const limit = (c: RouteClass): RequestHandler => {
    const rule = rules[c];
    const limiter = rule && new RateLimiter(rule, { maxClients });
    return (req, res, next) => {
      if (counted.has(req)) return next();
      counted.add(req);
      const wait = limiter?.take(clientKey(req)) ?? 0;
      if (!wait) return next();
      res.setHeader('Retry-After', String(wait));
      next(new HttpError('rate_limited', `请求过于频繁，请 ${wait} 秒后再试 (too many requests from this address; retry in ${wait} s)`));
    };
  };
  // Mounted paths match as the routes do: case-insensitively, with or without a trailing slash.
  return Router().use('/api/chat', limit('chat')).use('/api/search', limit('search')).use(['/api', '/mcp'], limit('api'));
}
