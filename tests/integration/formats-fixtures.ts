import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, TextRun } from 'docx';
import { normalise } from '../../src/corpus/normalize.ts';
import { launchBrowser } from '../e2e/browser.ts';
import { CORPUS } from '../helpers.ts';

/**
 * Builds the files operators actually receive from one of our seed texts: the policy as an article
 * on a government site, that page printed to PDF by Chromium, and a Word document.
 */

/** Strings of the site's chrome; none may appear inside a clause. */
export const CHROME = [
  '首页',
  '政务公开',
  '当前位置',
  '相关链接',
  '中国政府网',
  '打印本页',
  '关闭窗口',
  '分享到',
  '京ICP备05060933号',
  '京公网安备',
  '主办：北京市人民政府办公厅',
  '网站标识码',
  '首都之窗',
  '北京市人民政府网站',
];

/** The seed's paragraphs, as the page and the Word file hold them (one per block). */
export async function seedParagraphs(file: string): Promise<string[]> {
  const text = await readFile(path.join(CORPUS, file), 'utf8');
  return normalise(text).text.split('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const isHeading = (p: string) => /^(第[一二三四五六七八九十百零]+[章节编]|[一二三四五六七八九十]+、)/.test(p) && p.length <= 40;

/**
 * An article page in the style of www.beijing.gov.cn, with its navigation, links and footer around
 * it; with a print stylesheet, printing it leaves them out as the site's 打印本页 does.
 */
export function govPage(title: string, paragraphs: string[], opts: { printStylesheet?: boolean } = {}): string {
  const body = paragraphs
    .map((p) => (isHeading(p) ? `<p style="text-align:center"><strong>${esc(p)}</strong></p>` : `<p style="text-indent:2em">${esc(p)}</p>`))
    .join('\n');
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>${esc(title)}_北京市人民政府网站</title>
<meta name="keywords" content="政策文件">
<style>
body { font-family: "Noto Sans CJK SC", sans-serif; font-size: 16px; line-height: 1.8; margin: 0; }
.header, .nav, .crumbs, .tools, .related, .footer, .share { font-size: 13px; }
.nav a { margin: 0 12px; }
.article { width: 90%; margin: 0 auto; }
h1 { font-size: 24px; text-align: center; }
${opts.printStylesheet ? '@media print { .header, .nav, .crumbs, .tools, .related, .footer, .share, .info { display: none; } }' : ''}
</style></head>
<body>
<div class="header"><a href="/">首都之窗</a> <span>北京市人民政府门户网站</span> <input placeholder="请输入关键词"> <button>搜索</button></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zhengce/">政务公开</a></li><li><a href="/fuwu/">政务服务</a></li><li><a href="/hudong/">政民互动</a></li><li><a href="/renwen/">走进北京</a></li></ul></div>
<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/zhengce/">政务公开</a> &gt; <a href="/zhengce/zcfg/">政策文件</a></div>
<div class="article">
<h1>${esc(title)}</h1>
<div class="info"><span>发布时间：2022-04-02 10:15</span> <span>来源：首都之窗</span> <span>字号：大 中 小</span></div>
<div class="content" id="zoom">
${body}
</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
<div class="tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
</div>
<div class="related"><h3>相关链接</h3><ul>
<li><a href="http://www.gov.cn">中国政府网</a></li><li><a href="#">国务院部门网站</a></li><li><a href="#">地方政府网站</a></li>
<li><a href="#">北京市人民代表大会常务委员会</a></li><li><a href="#">北京市各区政府网站</a></li></ul></div>
<div class="footer"><p>主办：北京市人民政府办公厅　承办：北京市政务服务和数据管理局</p>
<p>版权所有：北京市人民政府网站　<a href="https://beian.miit.gov.cn">京ICP备05060933号</a>　京公网安备11010502039234号　网站标识码：1100000088</p></div>
</body></html>`;
}

/** A Word document as an editor holds a policy: a Title, headings in Heading 2, body paragraphs. */
export async function wordDocument(title: string, paragraphs: string[]): Promise<Buffer> {
  const font = { eastAsia: '仿宋_GB2312', ascii: 'Times New Roman' };
  const doc = new Document({
    creator: '北京市人民政府办公厅',
    title,
    sections: [
      {
        children: [
          new Paragraph({ heading: HeadingLevel.TITLE, alignment: AlignmentType.CENTER, children: [new TextRun({ text: title, font })] }),
          ...paragraphs.map((p) =>
            isHeading(p)
              ? new Paragraph({ heading: HeadingLevel.HEADING_2, alignment: AlignmentType.CENTER, children: [new TextRun({ text: p, font, bold: true })] })
              : new Paragraph({ indent: { firstLine: 640 }, children: splitRuns(p).map((t) => new TextRun({ text: t, font })) }),
          ),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

/** Word splits a paragraph into runs wherever formatting or editing history changes. */
function splitRuns(p: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < p.length; i += 37) out.push(p.slice(i, i + 37));
  return out;
}

/** Header and footer as Chromium prints them: the page title above, "— n —" below (公文 style). */
const HEADER = '<div style="font-size:8px;width:100%;text-align:center;font-family:Noto Sans CJK SC"><span class="title"></span></div>';
const FOOTER = '<div style="font-size:9px;width:100%;text-align:center;font-family:Noto Sans CJK SC">— <span class="pageNumber"></span> —</div>';

/** Prints HTML pages to PDF with Debian's Chromium, as a browser's print dialog would. */
export async function printPdfs(pages: { html: string; header?: boolean }[]): Promise<Buffer[]> {
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    const out: Buffer[] = [];
    for (const p of pages) {
      await page.setContent(p.html, { waitUntil: 'load' });
      out.push(
        await page.pdf({
          format: 'A4',
          margin: { top: '25mm', bottom: '25mm', left: '22mm', right: '22mm' },
          displayHeaderFooter: p.header !== false,
          headerTemplate: HEADER,
          footerTemplate: FOOTER,
          printBackground: true,
        }),
      );
    }
    return out;
  } finally {
    await browser.close();
  }
}

/** A "scanned" page: the policy's text painted onto a canvas, so the PDF holds only an image. */
export function scannedPage(paragraphs: string[]): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>扫描件</title></head><body style="margin:0">
<canvas id="c" width="760" height="1000"></canvas>
<script>
const ctx = document.getElementById('c').getContext('2d');
ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 760, 1000);
ctx.fillStyle = '#111'; ctx.font = '20px "Noto Sans CJK SC"';
const lines = ${JSON.stringify(paragraphs.join('').match(/.{1,34}/gu)!.slice(0, 40))};
lines.forEach((l, i) => ctx.fillText(l, 20, 40 + i * 24));
</script></body></html>`;
}

/** Encrypts a PDF with qpdf (AES-256, an open password), as a sender protecting it would. */
export function encryptPdf(input: string, output: string): void {
  execFileSync('qpdf', ['--encrypt', 'open-sesame', 'owner-pass', '256', '--', input, output]);
}
