// Issue 7: per-client rate limits (express-rate-limit, a fixed window per client). The rules and
// the client keys, then the limits on a real server: 429 with Retry-After and a JSON body, one limit
// per route class, X-Forwarded-For ignored unless a proxy is trusted, configuration from the
// environment. Counting across replicas through Redis is in replicas.test.ts.

import type { Request } from 'express';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/http/logger.ts';
import { loadConfig, parseRateLimit } from '../../src/config.ts';
import { clientKey, rateLimitRules } from '../../src/http/rate-limit.ts';

const RATE_LIMIT_ENV = ['POLICY_ASSISTANT_RATE_LIMIT_CHAT', 'POLICY_ASSISTANT_RATE_LIMIT_SEARCH', 'POLICY_ASSISTANT_RATE_LIMIT_API'];
import { sharedApp } from '../app-fixture.ts';
import { postJson, startTestServer } from './http-helpers.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(opts: Parameters<typeof startTestServer>[0] = {}): Promise<string> {
  const s = await startTestServer(opts);
  servers.push(s);
  return s.url;
}

const savedEnv = { ...process.env };
afterEach(() => {
  for (const k of [...RATE_LIMIT_ENV, 'POLICY_ASSISTANT_TRUST_PROXY']) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

// An empty message is rejected after the limiter has counted it: cheap requests that still count.
const cheapChat = (base: string, headers: Record<string, string> = {}) => postJson(`${base}/api/chat`, { message: '' }, headers);

describe('rate limit rules', () => {
  it('parse "N/window" and off', () => {
    expect(parseRateLimit('30/60s')).toEqual({ limit: 30, windowMs: 60_000 });
    expect(parseRateLimit(' 100 / 1m ')).toEqual({ limit: 100, windowMs: 60_000 });
    expect(parseRateLimit('5/m')).toEqual({ limit: 5, windowMs: 60_000 });
    expect(parseRateLimit('1000/H')).toEqual({ limit: 1000, windowMs: 3_600_000 });
    expect(parseRateLimit('10/30')).toEqual({ limit: 10, windowMs: 30_000 });
    expect(parseRateLimit('off')).toBeNull();
    expect(parseRateLimit('0')).toBeNull();
    for (const bad of ['30', '30/', 'abc', '0/60s', '-1/60s', '30/0s', '30/60x', '30/25h', '2000000/1s', ''])
      expect(() => rateLimitRules({}, loadConfig({ POLICY_ASSISTANT_RATE_LIMIT_CHAT: bad || ' x' }).rateLimits), bad).toThrow(/POLICY_ASSISTANT_RATE_LIMIT_CHAT must be "N\/window"/);
  });

  it('come from settings, then the environment, then the defaults', () => {
    expect(rateLimitRules({}, loadConfig({}).rateLimits)).toEqual({ chat: { limit: 20, windowMs: 60_000 }, search: { limit: 60, windowMs: 60_000 }, api: { limit: 300, windowMs: 60_000 } });
    const env = { POLICY_ASSISTANT_RATE_LIMIT_CHAT: '5/10s', POLICY_ASSISTANT_RATE_LIMIT_SEARCH: 'off', POLICY_ASSISTANT_RATE_LIMIT_API: '' };
    expect(rateLimitRules({}, loadConfig(env).rateLimits)).toEqual({ chat: { limit: 5, windowMs: 10_000 }, search: null, api: { limit: 300, windowMs: 60_000 } });
    expect(rateLimitRules({ chat: 'off', search: '1/1s' }, loadConfig(env).rateLimits)).toEqual({ chat: null, search: { limit: 1, windowMs: 1000 }, api: { limit: 300, windowMs: 60_000 } });
  });
});

describe('client keys', () => {
  it('keys IPv6 clients by their /64 and IPv4-mapped addresses as IPv4', () => {
    const key = (ip: string) => clientKey({ ip, socket: {} } as Request);
    expect(key('203.0.113.7')).toBe('203.0.113.7');
    expect(key('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(key('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(key('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64');
    expect(key('2001:db8:1:3::9')).not.toBe(key('2001:db8:1:2::9'));
    expect(key('fe80::1%eth0')).toBe('fe80::/64');
  });
});

describe('rate limits over HTTP', () => {
  it('answer the request past the limit with 429, Retry-After and a JSON error the widget can read', async () => {
    const base = await serve({ rateLimits: { chat: '3/60s', search: '2/60s', api: '2/60s' }, corsOrigins: ['https://widget.example'] });
    const origin = { origin: 'https://widget.example' };
    for (let i = 0; i < 3; i++) expect((await cheapChat(base, origin)).status).toBe(400);
    // A preflight is not counted.
    const preflight = await fetch(`${base}/api/chat`, { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);

    const limited = await cheapChat(base, origin);
    expect(limited.status).toBe(429);
    // Until the client's window (60 s, opened by its first request) ends.
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(55);
    expect(wait).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-policy')).toBe('3;w=60');
    expect(limited.headers.get('access-control-allow-origin')).toBe('https://widget.example');
    expect(limited.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
    expect(limited.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await limited.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining(`${wait} 秒`) } });
    // The same bucket whichever way the path is spelt, and whatever the body or method.
    expect((await fetch(`${base}/API/Chat/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(429);
    expect((await fetch(`${base}/api/chat`)).status).toBe(429);

    // Search and the other API routes have buckets of their own.
    expect((await postJson(`${base}/api/search`, { query: '融资租赁', k: 1 })).status).toBe(200);
    expect((await postJson(`${base}/api/search`, { query: '' })).status).toBe(400);
    expect((await postJson(`${base}/api/search`, { query: '融资租赁' })).status).toBe(429);
    expect((await fetch(`${base}/api/documents`)).status).toBe(200);
    expect((await fetch(`${base}/api/clauses/nope`)).status).toBe(400);
    const api = await fetch(`${base}/api/documents`);
    expect(api.status).toBe(429);
    expect(Number(api.headers.get('retry-after'))).toBeGreaterThanOrEqual(55);
    expect(Number(api.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    // Health checks and the API description are never limited.
    for (let i = 0; i < 10; i++) expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
  });

  it('ignore X-Forwarded-For unless a proxy is trusted', async () => {
    const direct = await serve({ rateLimits: { chat: '1/60s' } });
    expect((await cheapChat(direct, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(400);
    // A client cannot pick a fresh bucket by naming another address.
    expect((await cheapChat(direct, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(429);

    const proxied = await serve({ rateLimits: { chat: '1/60s' }, trustProxy: ['loopback'] });
    expect((await cheapChat(proxied, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(400);
    expect((await cheapChat(proxied, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(400);
    expect((await cheapChat(proxied, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(429);
    // Only the address the trusted proxy appended counts, not what the client wrote before it.
    expect((await cheapChat(proxied, { 'x-forwarded-for': '10.9.9.9, 198.51.100.2' })).status).toBe(429);
  });

  it('are configured by the environment, and "off" disables them', async () => {
    process.env.POLICY_ASSISTANT_RATE_LIMIT_CHAT = '2/60s';
    const limited = await serve();
    expect((await cheapChat(limited)).status).toBe(400);
    expect((await cheapChat(limited)).status).toBe(400);
    expect((await cheapChat(limited)).status).toBe(429);

    process.env.POLICY_ASSISTANT_RATE_LIMIT_CHAT = 'off';
    const open = await serve();
    for (let i = 0; i < 40; i++) expect((await cheapChat(open)).status).toBe(400);

    process.env.POLICY_ASSISTANT_TRUST_PROXY = 'loopback';
    process.env.POLICY_ASSISTANT_RATE_LIMIT_CHAT = '1/60s';
    const proxied = await serve();
    expect((await cheapChat(proxied, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(400);
    expect((await cheapChat(proxied, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(400);
  });

  it('refuse a malformed setting at start-up, naming the variable', async () => {
    const app = await sharedApp();
    const logger = createLogger({ level: 'silent' });
    process.env.POLICY_ASSISTANT_RATE_LIMIT_SEARCH = '60 per minute';
    expect(() => createHttpApp(app, { logger })).toThrow(/POLICY_ASSISTANT_RATE_LIMIT_SEARCH/);
    delete process.env.POLICY_ASSISTANT_RATE_LIMIT_SEARCH;
    process.env.POLICY_ASSISTANT_TRUST_PROXY = 'my-proxy.example';
    expect(() => createHttpApp(app, { logger })).toThrow(/POLICY_ASSISTANT_TRUST_PROXY/);
  });
});
