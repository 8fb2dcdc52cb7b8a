import { Router } from 'express';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/http/logger.ts';
import { pagesRouter } from '../../src/http/pages.ts';
import { sharedApp } from '../app-fixture.ts';
import { buildWidget, launchBrowser, listen, screenshot, type Browser, type Listening } from './browser.ts';

/**
 * The demo page, a document page and the floating widget on a 375×740 phone with mobile emulation:
 * nothing makes the page wider than the screen (wide tables scroll inside their own box), every
 * control is fully on screen, and a question can be typed, sent and answered by touch.
 */
const W = 375;
const H = 740;
const PHONE = { viewport: { width: W, height: H }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

// A host site whose own content is wider than a phone: the widget must still fit the screen.
const WIDE_HOST = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>wide</title></head>
<body style="margin:0"><div style="width:420px;height:60px;background:#ddd">宽于屏幕的内容</div><script src="/widget.js" defer></script></body></html>`;

let server: Listening;
let browser: Browser;

beforeAll(async () => {
  buildWidget();
  const app = await sharedApp();
  const hostPages = Router().get('/wide-host', (_req, res) => {
    res.type('html').send(WIDE_HOST);
  });
  server = await listen(createHttpApp(app, { logger: createLogger({ level: 'silent' }), extraRouters: [pagesRouter(app), hostPages] }));
  browser = await launchBrowser(PHONE);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The page's width as laid out; over 375 means the phone shows it zoomed out or scrolls sideways. */
const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

type Box = { x: number; y: number; width: number; height: number };
/** Boxes of the visible elements that stick out of [0, W] sideways (and out of [0, H] when `vertical`). */
async function outside(items: Locator, vertical: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const el of await items.all()) {
    if (!(await el.isVisible())) continue;
    const b = (await el.boundingBox()) as Box;
    const bad = b.x < 0 || b.x + b.width > W + 0.5 || (vertical && (b.y < 0 || b.y + b.height > H + 0.5));
    if (bad) out.push(`${(await el.evaluate((e) => e.outerHTML.slice(0, 80)))} at ${JSON.stringify(b)}`);
  }
  return out;
}

describe('on a 375×740 phone', () => {
  it('the demo page fits the screen width; the policy table scrolls inside its own box', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    await screenshot(page, 'phone-page');
    expect(await page.evaluate(() => window.innerWidth)).toBe(W);
    expect(await pageWidth(page)).toBeLessThanOrEqual(W);

    // Every control outside the table's scroll box lies within the screen's width.
    const notInTable = page.locator(':is(a, button, textarea):not(.table-scroll *)');
    expect(await notInTable.count()).toBeGreaterThan(5);
    expect(await outside(notInTable, false)).toEqual([]);

    const box = page.locator('#policies .table-scroll');
    await box.scrollIntoViewIfNeeded();
    await screenshot(page, 'phone-page-table');
    const b = (await box.boundingBox())!;
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(W);
    const scroll = await box.evaluate((el) => ({ overflow: getComputedStyle(el).overflowX, scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
    expect(scroll.overflow).toBe('auto');
    // The table is wider than the screen, so it must scroll inside the box and nowhere else.
    expect(scroll.scrollWidth).toBeGreaterThan(scroll.clientWidth);
    await box.evaluate((el) => el.scrollBy(200, 0));
    expect(await box.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
    expect(await pageWidth(page)).toBeLessThanOrEqual(W);
    await page.close();
  });

  it('a document page fits the screen width', async () => {
    const app = await sharedApp();
    const doc = app.corpus.documents.find((d) => d.docNumber)!;
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/documents/${encodeURIComponent(doc.id)}`);
    await screenshot(page, 'phone-document');
    expect(await pageWidth(page)).toBeLessThanOrEqual(W);
    expect(await outside(page.locator('a, button'), false)).toEqual([]);
    await page.close();
  });

  it('the opened widget has every control on screen, and a question is asked and answered by touch', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    const launcher = page.locator('policy-assistant .launcher');
    expect(await outside(launcher, true)).toEqual([]);
    await launcher.tap();
    const panel = page.locator('policy-assistant .panel');
    await panel.waitFor();
    await screenshot(page, 'phone-widget');
    expect(await panel.boundingBox()).toEqual({ x: 0, y: 0, width: W, height: H });
    expect(await pageWidth(page)).toBeLessThanOrEqual(W);

    const close = page.getByRole('button', { name: '关闭' });
    const starters = page.locator('policy-assistant .starters button');
    const input = page.getByRole('textbox', { name: '您的问题' });
    const send = page.getByRole('button', { name: '发送' });
    expect(await starters.count()).toBeGreaterThanOrEqual(3);
    for (const control of [close, starters, input, send, page.locator('policy-assistant .head button')]) expect(await outside(control, true)).toEqual([]);
    // 发送 shows its whole label: the button is as wide as its content.
    expect(await send.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await send.textContent()).toContain('发送');

    await input.tap();
    await input.fill('外国专利代理机构在北京设常驻代表机构的试点为期几年？');
    await send.tap();
    const answer = page.locator('policy-assistant .msg.assistant').first();
    await answer.locator('.chip').first().waitFor({ timeout: 60_000 });
    expect(await answer.locator('.body').textContent()).toMatch(/3年/);
    expect(await page.locator('policy-assistant .log').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await outside(page.locator('policy-assistant .msg, policy-assistant .chip'), false)).toEqual([]);
    for (const control of [close, input, send]) expect(await outside(control, true)).toEqual([]);
    await screenshot(page, 'phone-answer');

    // A citation opens the clause over the whole screen; closing puts the launcher back on screen.
    await answer.locator('.marker').first().tap();
    const clause = page.locator('policy-assistant .clause');
    await clause.locator('blockquote').waitFor();
    expect(await clause.boundingBox()).toMatchObject({ x: 0, width: W });
    await screenshot(page, 'phone-clause');
    await close.tap();
    expect(await panel.isHidden()).toBe(true);
    expect(await outside(launcher, true)).toEqual([]);
    await page.close();
  });

  it('the widget fits the screen on a host page wider than the phone', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/wide-host`);
    expect(await pageWidth(page)).toBeGreaterThan(W);
    const launcher = page.locator('policy-assistant .launcher');
    expect(await outside(launcher, true)).toEqual([]);
    await launcher.tap();
    const panel = page.locator('policy-assistant .panel');
    await panel.waitFor();
    await screenshot(page, 'phone-wide-host');
    expect(await panel.boundingBox()).toEqual({ x: 0, y: 0, width: W, height: H });
    const controls = page.locator('policy-assistant :is(.head button, .starters button, textarea, .form button)');
    expect(await controls.count()).toBeGreaterThanOrEqual(6);
    expect(await outside(controls, true)).toEqual([]);
    await page.close();
  });
});
