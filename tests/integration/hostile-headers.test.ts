// Issue 7: exposure. helmet's headers and the JSON CSP on the API, the pages keeping their own
// nonce'd CSP, /widget.js loadable by other sites (checked in Chromium from a page on another
// origin that enforces CORP), and CORS limited to the configured widget origins.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { API_CSP, cors } from '../../src/http/security.ts';
import { pagesRouter } from '../../src/http/pages.ts';
import { mcpRouter } from '../../src/mcp/http.ts';
import { sharedApp } from '../app-fixture.ts';
import { buildWidget, launchBrowser, listen, type Listening } from '../e2e/browser.ts';
import { postJson, startTestServer } from './http-helpers.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let embedder: Listening;
let base: string;

beforeAll(async () => {
  buildWidget();
  // Another origin (another port) embedding the widget, as a government site would. COEP
  // require-corp makes Chromium enforce Cross-Origin-Resource-Policy on the script it loads.
  embedder = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cross-origin-embedder-policy': 'require-corp' });
    res.end(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>embedding site</title></head>
<body><p>某区政府网站</p><script src="${base}/widget.js" data-api="${base}" defer></script></body></html>`);
  });
  const app = await sharedApp();
  server = await startTestServer({ corsOrigins: [embedder.url], rateLimits: { chat: 'off', search: 'off', api: 'off' }, extraRouters: [mcpRouter(app), pagesRouter(app)] });
  base = server.url;
});

afterAll(async () => {
  await server?.close();
  await embedder?.close();
});

const HELMET = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'strict-transport-security': 'max-age=15552000',
  'cross-origin-opener-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

function expectHelmet(res: Response): void {
  for (const [name, value] of Object.entries(HELMET)) expect(res.headers.get(name), name).toBe(value);
  expect(res.headers.get('x-powered-by')).toBeNull();
}

describe('security headers', () => {
  it('JSON responses (results, errors, health, API description, MCP) get helmet and a CSP that allows nothing', async () => {
    const responses = [
      await fetch(`${base}/healthz`),
      await fetch(`${base}/openapi.json`),
      await postJson(`${base}/api/search`, { query: '融资租赁', k: 1 }),
      await postJson(`${base}/api/chat`, { message: 42 }),
      await fetch(`${base}/api/clauses/..%2f..%2fetc%2fpasswd`),
      await fetch(`${base}/no/such/page`),
      await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }),
    ];
    for (const res of responses) {
      expect(res.headers.get('content-type'), res.url).toMatch(/^application\/json/);
      expectHelmet(res);
      expect(res.headers.get('content-security-policy'), res.url).toBe(API_CSP);
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    }
  });

  it('the pages keep their own per-request CSP, whose nonce their inline script and style carry', async () => {
    const docs = (await (await fetch(`${base}/api/documents`)).json()) as { documents: { id: string }[] };
    for (const [path, status] of [
      ['/', 200],
      [`/documents/${docs.documents[0]!.id}`, 200],
      ['/documents/no-such-document', 404],
    ] as const) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expectHelmet(res);
      const csp = res.headers.get('content-security-policy')!;
      // One policy (not helmet's joined to the page's), with this response's nonce.
      expect(csp).not.toContain(',');
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce, path).toBeTruthy();
      const html = await res.text();
      expect(html).toContain(`<style nonce="${nonce}">`);
      expect(csp).toContain("script-src 'self'");
    }
  });

  it('/widget.js is served for other sites to embed', async () => {
    const res = await fetch(`${base}/widget.js`);
    expect(res.status).toBe(200);
    // express.static sends text/javascript, the type RFC 9239 names for JavaScript.
    expect(res.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('a page on another origin loads the widget and gets an answer through CORS', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const failed: string[] = [];
      // A CORP or CORS refusal fails the request (and logs a console error); the widget's own
      // abort of a finished answer stream is no failure.
      page.on('requestfailed', (r) => r.failure()?.errorText !== 'net::ERR_ABORTED' && failed.push(`${r.url()} ${r.failure()?.errorText}`));
      page.on('console', (m) => m.type() === 'error' && failed.push(m.text()));
      await page.goto(`${embedder.url}/`);
      await page.locator('policy-assistant .launcher').click();
      const input = page.getByRole('textbox', { name: '您的问题' });
      await input.fill('自贸区条例第十五条讲了什么？');
      await input.press('Enter');
      await page.locator('policy-assistant .msg.assistant .chip').first().waitFor({ timeout: 60_000 });
      expect(failed).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('CORS', () => {
  it('answers only the configured origins', async () => {
    const allowed = await fetch(`${base}/api/documents`, { headers: { origin: embedder.url } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(embedder.url);
    for (const origin of ['https://evil.example', 'null', `${embedder.url}.evil.example`, embedder.url.replace('http:', 'https:')]) {
      const res = await fetch(`${base}/api/documents`, { headers: { origin } });
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      const preflight = await fetch(`${base}/api/chat`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(preflight.headers.get('access-control-allow-methods'), origin).toBeNull();
    }
  });

  it('takes its origins from POLICY_ASSISTANT_CORS_ORIGINS; "*" only when set so or in development', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'development' }).corsOrigins).toEqual(['*']);
    expect(loadConfig({ NODE_ENV: 'development', POLICY_ASSISTANT_CORS_ORIGINS: 'https://a.example' }).corsOrigins).toEqual(['https://a.example']);
    expect(loadConfig({ POLICY_ASSISTANT_CORS_ORIGINS: ' https://a.example , * ' }).corsOrigins).toEqual(['https://a.example', '*']);
  });

  it('refuses a configured value that is not an origin', () => {
    expect(() => cors(['https://Widget.Example:443/'])).not.toThrow();
    for (const bad of ['widget.example', 'https://widget.example/path', 'https://user:pw@widget.example', 'ftp://widget.example', 'https://widget.example?x'])
      expect(() => cors([bad]), bad).toThrow(/POLICY_ASSISTANT_CORS_ORIGINS/);
  });

  it('reads which proxies to trust from POLICY_ASSISTANT_TRUST_PROXY', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ POLICY_ASSISTANT_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ POLICY_ASSISTANT_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ POLICY_ASSISTANT_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ POLICY_ASSISTANT_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
  });
});
