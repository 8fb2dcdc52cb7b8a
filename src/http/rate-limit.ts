import { rateLimit, ipKeyGenerator, MemoryStore, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import { Router, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { RedisStore } from 'rate-limit-redis';
import type { RedisConnection } from '../answer/conversations-redis.ts';
import { config, parseRateLimit, type RateRule, type RouteClass } from '../config.ts';
import { HttpError } from './errors.ts';

/**
 * Per-client rate limits with express-rate-limit: a fixed window per client address and route
 * class. With Redis configured (POLICY_ASSISTANT_REDIS_URL) the counts live there through
 * rate-limit-redis, so every replica counts against the same limit; while Redis is unreachable
 * each replica counts on its own rather than not at all.
 */

/** Per route class, "N/window" such as "30/60s", "100/1m", "1000/h", or "off"; overrides the configuration. */
export type RateLimitSettings = Partial<Record<RouteClass, string>>;

/** The rules in force: an explicit setting, else the configuration (env or default). */
export function rateLimitRules(settings: RateLimitSettings = {}, configured = config().rateLimits): Record<RouteClass, RateRule | null> {
  const rule = (c: RouteClass) => (settings[c] === undefined ? configured[c] : parseRateLimit(settings[c]!));
  return { chat: rule('chat'), search: rule('search'), api: rule('api') };
}

/**
 * The key a request counts against. `req.ip` honours `trust proxy` when configured and is the
 * socket's address otherwise. An IPv6 client usually holds a whole /64, so that is one client;
 * IPv4-mapped addresses count as IPv4.
 */
export function clientKey(req: Request): string {
  return ipKeyGenerator((req.ip ?? req.socket.remoteAddress ?? 'unknown').replace(/%.*$/, ''), 64);
}

export const RATE_LIMIT_PREFIX = 'policy-assistant:rl:';

/**
 * Counts in Redis while it answers, else in this process. rate-limit-redis loads its script once
 * at init and never retries a failed load, so its store is (re)made once Redis is reachable.
 */
class SharedStore implements Store {
  readonly localKeys = false;
  private readonly local = new MemoryStore();
  private shared?: Promise<RedisStore>;
  private options?: Options;

  constructor(
    private readonly redis: RedisConnection,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.options = options;
    this.local.init(options);
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    if (this.redis.ok) {
      try {
        return await (await this.store()).increment(key);
      } catch {
        // Down between the check and the command: count here this time.
      }
    }
    return this.local.increment(key);
  }

  async decrement(key: string): Promise<void> {
    await (this.redis.ok ? this.store().then((s) => s.decrement(key)) : this.local.decrement(key)).catch(() => undefined);
  }

  async resetKey(key: string): Promise<void> {
    await this.local.resetKey(key);
    if (this.redis.ok) await this.store().then((s) => s.resetKey(key)).catch(() => undefined);
  }

  private store(): Promise<RedisStore> {
    if (!this.shared) {
      const store = new RedisStore({ sendCommand: (...args: string[]) => this.redis.send(args), prefix: this.prefix });
      const ready = Promise.resolve(store.init(this.options!)).then(() => store);
      this.shared = ready;
      ready.catch(() => {
        if (this.shared === ready) this.shared = undefined;
      });
    }
    return this.shared;
  }
}

export interface RateLimitDeps {
  /** Counts shared with the other replicas. */
  redis?: RedisConnection;
  logger?: Logger;
}

/**
 * Middleware applying the rules: /api/chat and /api/search their own, every other /api route and
 * /mcp the looser `api` one. Each request counts against one limit only. Mounted before body
 * parsing, so a limited client's bodies are never read; a 429 carries Retry-After in seconds.
 */
export function rateLimits(rules: Record<RouteClass, RateRule | null>, deps: RateLimitDeps = {}): Router {
  const counted = new WeakSet<Request>();
  const logger = deps.logger && { error: (e: unknown, msg?: string) => deps.logger!.error({ err: e }, msg ?? 'rate limit error'), warn: (e: unknown, msg?: string) => deps.logger!.warn({ err: e }, msg ?? 'rate limit warning') };
  const limit = (c: RouteClass): RequestHandler => {
    const rule = rules[c];
    const limiter =
      rule &&
      rateLimit({
        windowMs: rule.windowMs,
        limit: rule.limit,
        // RateLimit and RateLimit-Policy headers; Retry-After on a 429.
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        keyGenerator: (req) => clientKey(req),
        store: deps.redis ? new SharedStore(deps.redis, `${RATE_LIMIT_PREFIX}${c}:`) : undefined,
        // Our own error shape, through the error handler (and CORS headers already set).
        handler: (_req, res, next) => {
          const wait = Number(res.getHeader('Retry-After')) || Math.ceil(rule.windowMs / 1000);
          next(new HttpError('rate_limited', `请求过于频繁，请 ${wait} 秒后再试 (too many requests from this address; retry in ${wait} s)`));
        },
        ...(logger ? { logger } : {}),
      });
    return (req, res, next) => {
      if (counted.has(req)) return next();
      counted.add(req);
      if (!limiter) return next();
      void limiter(req, res, next);
    };
  };
  // Mounted paths match as the routes do: case-insensitively, with or without a trailing slash.
  return Router().use('/api/chat', limit('chat')).use('/api/search', limit('search')).use(['/api', '/mcp'], limit('api'));
}
