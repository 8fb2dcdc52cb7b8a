import { Router } from 'express';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/http/logger.ts';
import { pagesRouter } from '../../src/http/pages.ts';
import { sharedApp } from '../app-fixture.ts';
import { buildWidget, focusedInWidget, launchBrowser, listen, screenshot, type Browser, type Listening } from './browser.ts';

/**
 * The widget against the real server (real index and answerer) in Chromium: the demo page, a
 * streamed answer, a citation opened to its verbatim clause and its place in the document view,
 * a follow-up surviving a reload, a page with hostile CSS, and a phone-sized screen.
 */
// A question in our own words (no eval question is copied into tests), and a follow-up that only makes sense after it.
const QUESTION = '外国专利代理机构在北京设常驻代表机构的试点为期几年？';
const FOLLOW_UP = '这个试点还包括哪些内容？';

// A host page that hides and restyles every element it can reach; html and body stay rendered,
// since nothing at all can show inside a hidden <html>.
const HOSTILE_PAGE = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>hostile</title>
<style>
* { display: none !important; }
html, body { display: block !important; }
body * { visibility: hidden !important; opacity: 0 !important; transform: scale(0) !important; font: 40px/1 serif !important; color: red !important; background: lime !important; }
policy-assistant, button, section, textarea, div { position: absolute !important; left: -9999px !important; width: 0 !important; height: 0 !important; overflow: hidden !important; }
</style></head>
<body><p>正文</p><script src="/widget.js" defer></script></body></html>`;

let server: Listening;
let browser: Browser;

beforeAll(async () => {
  buildWidget();
  const app = await sharedApp();
  const testPages = Router().get('/hostile', (_req, res) => {
    res.type('html').send(HOSTILE_PAGE);
  });
  server = await listen(createHttpApp(app, { logger: createLogger({ level: 'silent' }), extraRouters: [pagesRouter(app), testPages] }));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const widget = (page: Page) => ({
  launcher: page.locator('policy-assistant .launcher'),
  panel: page.locator('policy-assistant .panel'),
  input: page.getByRole('textbox', { name: '您的问题' }),
  answers: page.locator('policy-assistant .msg.assistant'),
  clause: page.locator('policy-assistant .clause'),
});

/** Records the length of the newest answer's text at every DOM change, to see it grow in pieces. */
async function watchAnswerGrowth(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const root = document.querySelector('policy-assistant')!.shadowRoot!;
    const seen: number[] = [];
    (window as unknown as { __lengths: number[] }).__lengths = seen;
    new MutationObserver(() => {
      const bodies = root.querySelectorAll('.msg.assistant .body');
      const length = bodies[bodies.length - 1]?.textContent?.length ?? 0;
      if (length && length !== seen[seen.length - 1]) seen.push(length);
    }).observe(root, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { __lengths: number[] }).__lengths);
}

/** Types a question, sends it with Enter and waits for the complete answer (its citation chips). */
async function ask(page: Page, question: string, nth: number): Promise<void> {
  const w = widget(page);
  await w.input.fill(question);
  await w.input.press('Enter');
  await w.answers.nth(nth).locator('.chip').first().waitFor({ timeout: 60_000 });
}

describe('widget on the demo page', () => {
  it('streams an answer and opens its first citation to the verbatim clause and the document view', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    const w = widget(page);
    await w.launcher.click();
    await w.panel.waitFor();
    expect(await w.panel.getAttribute('role')).toBe('dialog');
    expect(await focusedInWidget(page)).toBe('textarea');
    // An empty panel suggests questions.
    expect(await page.locator('policy-assistant .starters button').count()).toBeGreaterThanOrEqual(3);

    const lengths = await watchAnswerGrowth(page);
    await ask(page, QUESTION, 0);
    const growth = await lengths();
    expect(growth.length).toBeGreaterThanOrEqual(3);
    expect(growth).toEqual([...growth].sort((a, b) => a - b));

    const answer = w.answers.first();
    expect(await answer.locator('.abstain').count()).toBe(0);
    const marker = answer.locator('.marker').first();
    const label = await marker.getAttribute('title');
    expect(label).toMatch(/^《.+》\S/);
    expect(await answer.locator('.chip').first().textContent()).toContain(label!);
    await screenshot(page, 'desktop-answer');

    await marker.click();
    const quote = w.clause.locator('blockquote');
    await quote.waitFor();
    const clauseId = new URL((await w.clause.locator('a').getAttribute('href'))!).hash.slice(1);
    const api = (await (await fetch(`${server.url}/api/clauses/${clauseId}`)).json()) as { text: string; label: string; document: { title: string } };
    expect(await quote.textContent()).toBe(api.text);
    expect(await w.clause.locator('h3').textContent()).toBe(label);
    expect(await w.clause.locator('.doc').textContent()).toBe(`《${api.document.title}》`);
    expect(await w.clause.locator('mark').count()).toBe(1);
    await screenshot(page, 'desktop-clause');

    // The document view opens in a new tab, scrolled to the clause and highlighting it.
    const [docPage] = await Promise.all([browser.context.waitForEvent('page'), w.clause.locator('a').click()]);
    await docPage.waitForLoadState('load');
    await docPage.waitForFunction((cid) => document.querySelector(':target')?.id === cid, clauseId);
    const target = docPage.locator(':target');
    expect(await target.textContent()).toContain(api.text.split('\n')[0]!.slice(0, 20));
    expect(await target.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe('rgba(0, 0, 0, 0)');
    const box = (await target.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + Math.min(box.height, 100)).toBeLessThanOrEqual(860);
    await screenshot(docPage, 'document-view');
    await docPage.close();

    // Esc closes the clause (focus back on its citation), then the panel (focus back on the button).
    await page.keyboard.press('Escape');
    expect(await w.clause.isHidden()).toBe(true);
    expect(await focusedInWidget(page)).toBe('button.marker');
    await page.keyboard.press('Escape');
    expect(await w.panel.isHidden()).toBe(true);
    expect(await focusedInWidget(page)).toBe('button.launcher');
    await page.close();
  });

  it('keeps a follow-up conversation across a reload, and starts over on 新对话', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    const w = widget(page);
    await w.launcher.click();
    await ask(page, QUESTION, 0);

    // Shift+Enter is a new line, not a send.
    await w.input.fill('第一行');
    await w.input.press('Shift+Enter');
    expect(await w.input.inputValue()).toBe('第一行\n');
    expect(await page.locator('policy-assistant .msg.user').count()).toBe(1);

    const bodies: { conversationId?: string }[] = [];
    page.on('request', (r) => r.url().endsWith('/api/chat') && bodies.push(r.postDataJSON() as { conversationId?: string }));
    await ask(page, FOLLOW_UP, 1);
    // The id the server issued and signed, sent back as it was.
    expect(bodies[0]?.conversationId).toMatch(/^[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]{43}$/);
    const before = await page.locator('policy-assistant .log').textContent();

    await page.reload();
    await w.panel.waitFor();
    expect(await page.locator('policy-assistant .msg.user').allTextContents()).toEqual([`您：${QUESTION}`, `您：${FOLLOW_UP}`]);
    expect(await w.answers.count()).toBe(2);
    expect(await page.locator('policy-assistant .log').textContent()).toBe(before);
    // The restored citations still open their clauses.
    await w.answers.nth(1).locator('.chip').first().click();
    await w.clause.locator('blockquote').waitFor();
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: '新对话' }).click();
    expect(await w.answers.count()).toBe(0);
    expect(await page.locator('policy-assistant .starters button').count()).toBeGreaterThanOrEqual(3);
    await page.reload();
    await w.panel.waitFor();
    expect(await w.answers.count()).toBe(0);
    await page.close();
  });

  it('keeps the id the server returns, and shows a plain notice when a stored id is no longer valid', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    const w = widget(page);
    await w.launcher.click();
    await ask(page, QUESTION, 0);
    const stored = () =>
      page.evaluate(() => {
        const key = Object.keys(sessionStorage).find((k) => k.startsWith('policy-assistant:'))!;
        return { key, saved: JSON.parse(sessionStorage.getItem(key)!) as { conversationId: string } };
      });
    const { key, saved } = await stored();
    // As if the server's secret had changed: the stored id no longer verifies.
    const stale = `${saved.conversationId.slice(0, -1)}${saved.conversationId.endsWith('A') ? 'B' : 'A'}`;
    await page.evaluate(([k, v]) => sessionStorage.setItem(k!, v!), [key, JSON.stringify({ ...saved, conversationId: stale })]);
    await page.reload();
    await w.panel.waitFor();
    await ask(page, FOLLOW_UP, 1);
    const notice = w.answers.nth(1).locator('.notice.conversation');
    expect(await notice.textContent()).toBe('对话这个对话编号不是本服务签发的，已开始新的对话。');
    // Told apart from the validity notices, and the new id is kept for the next question.
    expect(await w.answers.nth(1).locator('.notice.expired').count()).toBe(0);
    const after = (await stored()).saved.conversationId;
    expect(after).not.toBe(stale);
    expect(after).toMatch(/^[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]{43}$/);
    await page.close();
  });

  it('shows and works on a page whose CSS hides and restyles every element', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/hostile`);
    const w = widget(page);
    await w.launcher.waitFor({ state: 'visible' });
    const button = (await w.launcher.boundingBox())!;
    expect(button.width).toBeGreaterThan(60);
    expect(await w.launcher.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(255, 255, 255)');
    await w.launcher.click();
    await ask(page, QUESTION, 0);
    expect(await w.answers.first().isVisible()).toBe(true);
    await screenshot(page, 'hostile-css');
    await page.close();
  });

  it('fills a 375×740 phone screen and runs the same flow', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${server.url}/`);
    const w = widget(page);
    await screenshot(page, 'mobile-page');
    await w.launcher.click();
    expect(await w.panel.boundingBox()).toEqual({ x: 0, y: 0, width: 375, height: 740 });
    await ask(page, QUESTION, 0);
    // Nothing overflows sideways.
    expect(await page.locator('policy-assistant .log').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    await screenshot(page, 'mobile-answer');
    await w.answers.first().locator('.marker').first().click();
    await w.clause.locator('blockquote').waitFor();
    expect(await w.clause.boundingBox()).toMatchObject({ x: 0, width: 375 });
    await screenshot(page, 'mobile-clause');
    await page.getByRole('button', { name: '关闭' }).click();
    expect(await w.panel.isHidden()).toBe(true);
    await page.close();
  });
});

describe('pages', () => {
  it('answers 404 with a page for an unknown document, and serves widget.js with caching headers', async () => {
    const res = await fetch(`${server.url}/documents/nope%3Cscript%3E`);
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('未找到该政策文件');
    expect(html).toContain('nope&lt;script&gt;');

    const js = await fetch(`${server.url}/widget.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const etag = js.headers.get('etag')!;
    // As a browser revalidates (fetch alone would add Cache-Control: no-cache to a conditional request).
    const again = await fetch(`${server.url}/widget.js`, { headers: { 'If-None-Match': etag, 'Cache-Control': 'max-age=0' } });
    expect(again.status).toBe(304);
  });
});
