import { readFile } from 'node:fs/promises';
import express, { type Response } from 'express';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { documentPage } from '../../src/http/pages.ts';
import type { Answer } from '../../src/tools/answer.ts';
import type { DocumentView } from '../../src/tools/documents.ts';
import { buildWidget, launchBrowser, listen, screenshot, WIDGET_JS, type Browser, type Listening } from './browser.ts';

/**
 * The widget against a fake API that misbehaves on purpose: a connection cut mid-answer, a stalled
 * stream, a server that is down, a 4xx, and clause text carrying HTML. No model or index needed.
 */
const EVIL = '<img src=x onerror=alert(1)>';
const CITATION = {
  n: 1,
  id: 'd0000000001-a1-abcd',
  label: `《测试${EVIL}条例》第一条`,
  documentId: 'd0000000001',
  documentTitle: `测试${EVIL}条例`,
  docNumber: '京测〔2024〕1号',
  date: '2024-01-02',
  quote: `含有${EVIL}的条款`,
};
const ANSWER: Answer = {
  conversationId: 'conv-12345678',
  answer: `根据该条例，答案是<b>加粗</b>${EVIL}。[1]`,
  citations: [CITATION],
  abstained: false,
  notices: [
    { kind: 'validity', expired: true, until: '2021-12-31', text: '《测试条例》有效期至2021-12-31，已届满，可能已失效。' },
    { kind: 'validity', expired: false, text: '《测试条例》：本条例自2021年1月1日起施行。' },
  ],
  mode: 'extractive',
  searched: '测试',
  related: [],
};
const CLAUSE = {
  id: CITATION.id,
  label: CITATION.label,
  number: '第一条',
  headingPath: [],
  text: `第一条　本条含有${EVIL}的条款原文。\n第二款<script>alert(2)</script>`,
  document: { id: CITATION.documentId, title: CITATION.documentTitle, docNumber: CITATION.docNumber, issuer: `测试<i>机关</i>`, issueDate: '2024-01-02', timeStatements: [] },
};
const HOSTILE_DOC: DocumentView = {
  id: 'd0000000001',
  title: `测试${EVIL}条例`,
  titles: [`测试${EVIL}条例`, `关于印发《测试${EVIL}条例》的通知`],
  shortNames: [],
  aliases: [],
  issuers: [`测试<i>机关</i>`],
  repeals: [],
  repealedBy: [],
  bodyMissing: false,
  status: { status: 'in_force', asOf: '2026-01-01', reason: '未见失效或废止的记载' },
  provenance: { issuers: [] },
  docNumber: `京测〔2024〕1号"><script>alert(3)</script>`,
  issuer: `测试<i>机关</i>`,
  issueDate: '2024-01-02',
  timeStatements: [`自2024年1月1日起施行${EVIL}`],
  kind: 'regulation',
  sourceFile: 'x.txt',
  clauseCount: 1,
  text: CLAUSE.text,
  clauses: [{ id: `${CITATION.id}"onmouseover="alert(4)`, label: CITATION.label, number: '第一条', start: 0, end: CLAUSE.text.length }],
};

const ABSTAINED: Answer = {
  ...ANSWER,
  answer: '已收录的政策中没有找到能回答“测试问题”的条款。最相关的是《测试条例》第一条，仅供参考，其中并未写明您所问的内容。',
  citations: [],
  abstained: true,
  notices: [],
  related: [{ id: CITATION.id, label: '《测试条例》第一条' }],
};

type Mode = 'ok' | 'cut' | 'stall' | 'bad' | 'abstain';
let mode: Mode = 'ok';
let chatRequests = 0;
let fake: Listening;
let browser: Browser;

const sse = (res: Response, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

beforeAll(async () => {
  buildWidget();
  const widgetJs = await readFile(WIDGET_JS);
  const api = express();
  api.use(express.json());
  api.get('/widget.js', (_req, res) => {
    res.type('js').send(widgetJs);
  });
  // Each query parameter becomes a data- attribute of the script tag: ?api= (a dead port), ?timeout=, ?mode=inline…
  api.get('/page', (req, res) => {
    const attrs = Object.entries(req.query)
      .map(([k, v]) => `data-${k}="${String(v)}"`)
      .join(' ');
    res.type('html').send(
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>t</title></head><body><h1>测试页</h1><div id="assistant"></div><script src="/widget.js" ${attrs} defer></script></body></html>`,
    );
  });
  api.get('/documents/evil', (_req, res) => {
    res.type('html').send(documentPage(HOSTILE_DOC, 'n0nce'));
  });
  api.get('/api/clauses/:id', (_req, res) => {
    res.json({ ...CLAUSE, previous: undefined, next: undefined });
  });
  api.post('/api/chat', (_req, res) => {
    chatRequests++;
    if (mode === 'bad') {
      res.status(400).json({ error: { code: 'invalid_input', message: '问题过长：最多 500 个字符' } });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
    sse(res, 'citations', { conversationId: ANSWER.conversationId, citations: ANSWER.citations });
    if (mode === 'cut' || mode === 'stall') {
      sse(res, 'delta', { text: '根据该条例，' });
      // cut: the socket dies mid-answer; stall: it stays open and silent.
      if (mode === 'cut') setTimeout(() => res.socket?.destroy(), 100);
      return;
    }
    const answer = mode === 'abstain' ? ABSTAINED : ANSWER;
    for (const text of answer.answer.match(/.{1,6}/gu)!) sse(res, 'delta', { text });
    sse(res, 'done', answer);
    res.end();
  });
  fake = await listen(api);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await fake?.close();
});

beforeEach(() => {
  mode = 'ok';
  chatRequests = 0;
});

async function openAndAsk(page: Page, query = ''): Promise<void> {
  await page.goto(`${fake.url}/page${query}`);
  await page.locator('policy-assistant .launcher').click();
  const input = page.getByRole('textbox', { name: '您的问题' });
  await input.fill('测试问题');
  await input.press('Enter');
}

const error = (page: Page) => page.locator('policy-assistant .error');
const retry = (page: Page) => page.locator('policy-assistant .error').getByRole('button', { name: '重试' });

describe('widget failures', () => {
  it('shows an error and a retry button when the stream is cut mid-answer, and retry recovers', async () => {
    mode = 'cut';
    const page = await browser.context.newPage();
    await openAndAsk(page);
    await retry(page).waitFor({ timeout: 10_000 });
    expect(await error(page).textContent()).toContain('连接中断');
    expect(await page.locator('policy-assistant .incomplete').count()).toBe(1);
    expect(await page.locator('policy-assistant .status').count()).toBe(0);
    await screenshot(page, 'error-stream-cut');

    mode = 'ok';
    await retry(page).click();
    await page.locator('policy-assistant .chip').waitFor();
    expect(await error(page).count()).toBe(0);
    expect(await page.locator('policy-assistant .msg.assistant').count()).toBe(1);
    expect(chatRequests).toBe(2);
    await page.close();
  });

  it('abandons a stalled stream after data-timeout', async () => {
    mode = 'stall';
    const page = await browser.context.newPage();
    const started = Date.now();
    await openAndAsk(page, '?timeout=1500');
    await retry(page).waitFor({ timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(await error(page).textContent()).toContain('没有响应');
    await page.close();
  });

  it('says so when the server is down, and again on retry', async () => {
    const dead = await listen(() => undefined);
    await dead.close();
    const page = await browser.context.newPage();
    await openAndAsk(page, `?api=${encodeURIComponent(dead.url)}`);
    await retry(page).waitFor({ timeout: 10_000 });
    expect(await error(page).textContent()).toContain('无法连接');
    await retry(page).click();
    await retry(page).waitFor({ timeout: 10_000 });
    expect(await error(page).count()).toBe(1);
    await page.close();
  });

  it("shows a 4xx's own message", async () => {
    mode = 'bad';
    const page = await browser.context.newPage();
    await openAndAsk(page);
    await retry(page).waitFor({ timeout: 10_000 });
    expect(await error(page).textContent()).toContain('问题过长');
    await page.close();
  });
});

describe('inline mode', () => {
  it('renders into the target element, in English when data-lang="en"', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${fake.url}/page?mode=inline&target=%23assistant&lang=en`);
    const panel = page.locator('#assistant policy-assistant .panel');
    await panel.waitFor();
    expect(await panel.getAttribute('role')).toBe('region');
    expect(await page.locator('policy-assistant .launcher').count()).toBe(0);
    expect(await page.locator('policy-assistant h2').textContent()).toBe('Beijing Policy Assistant');
    const input = page.getByRole('textbox', { name: 'Your question' });
    await input.fill('test');
    await input.press('Enter');
    await page.locator('policy-assistant .chip').waitFor();
    expect(await page.locator('policy-assistant .section h3').textContent()).toBe('Sources');
    await screenshot(page, 'inline-en');
    await page.close();
  });
});

describe('notices', () => {
  it('sets an abstention apart from an answer, and its related clauses open like citations', async () => {
    mode = 'abstain';
    const page = await browser.context.newPage();
    await openAndAsk(page);
    const abstain = page.locator('policy-assistant .abstain');
    await abstain.waitFor();
    expect(await abstain.locator('h3').textContent()).toBe('未找到明确依据');
    expect(await abstain.evaluate((el) => getComputedStyle(el).borderStyle)).toBe('dashed');
    await screenshot(page, 'abstained');
    await page.locator('policy-assistant .chip.related').click();
    await page.locator('policy-assistant .clause blockquote').waitFor();
    await page.close();
  });
});

describe('text from the API is never markup', () => {
  it('renders HTML in answers, labels, notices and clause text as characters', async () => {
    const page = await browser.context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await openAndAsk(page);
    await page.locator('policy-assistant .chip').waitFor();
    const answer = page.locator('policy-assistant .msg.assistant');
    expect(await answer.locator('.body').textContent()).toBe(ANSWER.answer);
    expect(await answer.locator('.chip').textContent()).toBe(`[1]${CITATION.label}`);
    // The expiry notice is told apart from the plain effective-date one.
    expect(await answer.locator('.notice.expired').count()).toBe(1);
    expect(await answer.locator('.notice:not(.expired)').count()).toBe(1);
    await screenshot(page, 'notices');

    await answer.locator('.marker').click();
    const quote = page.locator('policy-assistant .clause blockquote');
    await quote.waitFor();
    expect(await quote.textContent()).toBe(CLAUSE.text);
    expect(await page.locator('policy-assistant .clause dd').allTextContents()).toEqual([CLAUSE.document.docNumber, CLAUSE.document.issuer, '2024-01-02']);
    await screenshot(page, 'xss-clause');
    const markup = await page.evaluate(() => {
      const root = document.querySelector('policy-assistant')!.shadowRoot!;
      // (The widget's own <b> holds a chip's [n]; a <b> from the API would be inside .body or .clause.)
      return root.querySelectorAll('img, i, script, .body b, .clause b').length + document.querySelectorAll('img, b, i').length;
    });
    expect(markup).toBe(0);

    await page.goto(`${fake.url}/documents/evil`);
    expect(await page.locator('.doc h1').textContent()).toBe(HOSTILE_DOC.title);
    expect(await page.locator('.meta dd').first().textContent()).toBe(HOSTILE_DOC.docNumber);
    expect(await page.locator('section.clause').getAttribute('id')).toBe(HOSTILE_DOC.clauses[0]!.id);
    expect(await page.locator('section.clause').textContent()).toContain(EVIL);
    // Light DOM only: the widget on this page (restored from the session) has markup of its own.
    expect(await page.evaluate(() => document.querySelectorAll('img, i, b').length)).toBe(0);
    expect(await page.evaluate(() => document.scripts.length)).toBe(2); // the anchor script and widget.js
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
