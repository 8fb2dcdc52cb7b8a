import { randomBytes } from 'node:crypto';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import type { App } from '../app.ts';
import { NotFoundError, tools, type DocumentView } from '../tools/index.ts';
import { projectRoot } from '../util/paths.ts';

/**
 * Server-rendered pages beside the API: `/` a demo government-service page embedding the widget,
 * `/documents/:id` one policy with an anchor per clause (the widget's "view in full document" link),
 * and `/widget.js`, the bundle built by scripts/build.mjs. Every value from the corpus goes through
 * esc(); each page allows only its own nonce'd inline script and style (CSP).
 */
export function pagesRouter(app: App): Router {
  const router = Router();

  router.get('/', (req, res) => {
    sendPage(res, 200, (nonce) => demoPage(app, origin(req), nonce));
  });

  router.get('/documents/:id', (req, res) => {
    let doc: DocumentView;
    try {
      doc = tools(app).getDocument({ id: req.params.id });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      sendPage(res, 404, (nonce) => notFoundPage(req.params.id, nonce));
      return;
    }
    sendPage(res, 200, (nonce) => documentPage(doc, nonce));
  });

  // express.static serves the bundle with ETag and Last-Modified and answers revalidation with 304;
  // embedding sites load it by a fixed URL, so it is cached briefly and revalidated.
  router.use(
    express.static(path.join(projectRoot(), 'dist', 'public'), {
      index: false,
      maxAge: 300_000,
      setHeaders: (res) => {
        res.setHeader('Cache-Control', 'public, max-age=300, must-revalidate');
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      },
    }),
  );
  router.get('/widget.js', (_req, res) => {
    res.status(503).type('text/plain').send('widget.js is not built; run `npm run build`');
  });
  return router;
}

const origin = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

function sendPage(res: Response, status: number, render: (nonce: string) => string): void {
  const nonce = randomBytes(16).toString('base64');
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'nonce-${nonce}'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'`,
  );
  res.setHeader('Cache-Control', 'no-cache');
  res.status(status).type('html').send(render(nonce));
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f2f4f7;color:#1f2933;font:16px/1.75 system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
a{color:#1a56a8}
.top{background:#123f7c;color:#dbe6f5;font-size:13px}
.top>div,.brand>div,nav ul,main,footer>div{max-width:1120px;margin:0 auto;padding:0 20px}
.top>div{display:flex;justify-content:space-between;padding-top:4px;padding-bottom:4px}
.brand{background:linear-gradient(180deg,#fff,#eef3fa);border-bottom:4px solid #b5121b}
.brand>div{display:flex;align-items:center;gap:16px;padding-top:18px;padding-bottom:18px}
.emblem{width:52px;height:52px;border-radius:50%;background:#b5121b;color:#ffd84d;display:grid;place-items:center;font-size:26px;font-weight:700;flex:none}
.brand .site{margin:0;font-size:26px;font-weight:700;color:#123f7c;letter-spacing:2px}
.brand p{margin:0;color:#5f6b7a;font-size:14px}
nav{background:#1a56a8}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:0}
nav a{display:block;color:#fff;text-decoration:none;padding:10px 20px;font-size:16px}
nav a:hover,nav a[aria-current]{background:#123f7c}
main{padding-top:20px;padding-bottom:40px}
.crumbs{font-size:13px;color:#5f6b7a;margin:0 0 12px}
.grid{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:20px}
.card{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:18px 22px;margin-bottom:20px}
.card h1,.card h2{margin:0 0 12px;font-size:18px;color:#123f7c;border-left:4px solid #b5121b;padding-left:10px;line-height:1.3}
.card p{margin:0 0 10px}
.services{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;list-style:none;margin:0;padding:0}
.services li{border:1px solid #dde3ea;border-radius:6px;padding:12px;background:#f8fafc}
.services b{display:block;color:#123f7c}
.services span{font-size:13px;color:#5f6b7a}
/* A wide table scrolls inside its own box, so the page itself never gets wider than a phone. */
.table-scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch;overscroll-behavior-x:contain}
table{width:100%;border-collapse:collapse;font-size:14px}
td:first-child{min-width:12em}
th,td{text-align:left;padding:8px 6px;border-bottom:1px solid #e5e9ef;vertical-align:top}
th{color:#5f6b7a;font-weight:600;white-space:nowrap}
td.num{white-space:nowrap;color:#5f6b7a}
pre{background:#0f1e33;color:#e3ecf7;padding:12px;border-radius:6px;overflow-x:auto;font-size:13px;line-height:1.5;white-space:pre-wrap;word-break:break-all}
.copy{border:1px solid #1a56a8;background:#fff;color:#1a56a8;border-radius:4px;padding:4px 12px;font:inherit;font-size:14px;cursor:pointer}
footer{background:#123f7c;color:#c7d4e6;font-size:13px;padding:18px 0}
.meta{display:grid;grid-template-columns:auto 1fr;gap:4px 16px;margin:0}
.meta dt{color:#5f6b7a}
.meta dd{margin:0}
.meta ul{margin:0;padding-left:18px}
.narrow{max-width:900px;margin:0 auto}
.card.doc h1{font-size:24px;line-height:1.45;margin:4px 0 6px;color:#123f7c;text-align:center}
.doc .sub{text-align:center;color:#5f6b7a;margin:0 0 14px;font-size:14px}
.between{white-space:pre-wrap;font-weight:600;text-align:center;margin:18px 0 8px;color:#123f7c}
.clause{position:relative;padding:6px 10px 6px 22px;margin:0 -10px 2px -22px;border-radius:4px;scroll-margin-top:80px;white-space:pre-wrap;word-break:break-word}
.clause .anchor{position:absolute;left:5px;top:6px;color:#9aa8b8;text-decoration:none;font-size:14px;opacity:0}
.clause:hover .anchor,.clause .anchor:focus{opacity:1}
.clause:target{background:#fff5cc;box-shadow:inset 4px 0 0 #e0a800;outline:none}
.clause:target .anchor{opacity:1;color:#b07d00}
.notfound{text-align:center;padding:40px 20px}
@media (max-width:760px){.grid{grid-template-columns:minmax(0,1fr)}.brand .site{font-size:20px}nav a{padding:8px 12px;font-size:15px}.clause{padding-left:10px;margin-left:-10px}.clause .anchor{display:none}}
`;

const NAV: [string, string][] = [
  ['/', '首页'],
  ['/#policies', '政策文件'],
  ['/#services', '政策服务'],
  ['/#assistant', '智能问答'],
];

function layout(title: string, nonce: string, body: string, current?: string): string {
  const nav = NAV.map(([href, label]) => `<li><a href="${href}"${href === current ? ' aria-current="page"' : ''}>${label}</a></li>`).join('');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<div class="top"><div><span>北京市政策服务平台（演示）</span><span>政策助手嵌入示例</span></div></div>
<header class="brand"><div><span class="emblem" aria-hidden="true">京</span><div><p class="site">北京市政策服务平台</p><p>政策文件 · 政策解读 · 惠企服务</p></div></div></header>
<nav aria-label="主导航"><ul>${nav}</ul></nav>
<main>${body}</main>
<footer><div>本页面为政策助手的嵌入演示，政策文本来自已收录的北京市政策文件；问答内容仅供参考，以主管部门解释为准。</div></footer>
<script src="/widget.js" defer></script>
</body>
</html>`;
}

function demoPage(app: App, base: string, nonce: string): string {
  const floating = `<script src="${base}/widget.js" data-api="${base}" defer></script>`;
  const inline = `<div id="assistant"></div>\n<script src="${base}/widget.js" data-api="${base}" data-mode="inline" data-target="#assistant" data-lang="zh" defer></script>`;
  const docs = [...app.corpus.documents].sort((a, b) => (b.issueDate ?? '').localeCompare(a.issueDate ?? ''));
  const rows = docs
    .map(
      (d) =>
        `<tr><td><a href="/documents/${encodeURIComponent(d.id)}">${esc(d.title)}</a></td><td class="num">${esc(d.docNumber ?? '—')}</td><td class="num">${esc(d.issueDate ?? '—')}</td></tr>`,
    )
    .join('');
  const body = `
<p class="crumbs">当前位置：首页 › 政策服务</p>
<div class="grid">
<div>
<section class="card" id="services"><h1>政策服务</h1>
<p>为方便企业和群众查找、理解政策，本平台汇集北京市自由贸易试验区、服务业扩大开放和支持民营经济发展等方面的政策文件，提供原文查阅与智能问答服务。</p>
<ul class="services">
<li><b>政策查询</b><span>按文件名称、文号查阅政策原文</span></li>
<li><b>政策解读</b><span>自贸试验区相关政策解读材料</span></li>
<li><b>惠企服务</b><span>减税降费、融资支持等惠企措施</span></li>
<li><b>智能问答</b><span>回答问题并引用条款原文</span></li>
</ul></section>
<section class="card" id="policies"><h2>政策文件库（${docs.length} 件）</h2>
<div class="table-scroll" role="region" aria-label="政策文件列表" tabindex="0"><table><thead><tr><th scope="col">文件名称</th><th scope="col">文号</th><th scope="col">发布日期</th></tr></thead><tbody>${rows}</tbody></table></div>
</section>
</div>
<aside>
<section class="card" id="assistant"><h2>智能问答</h2>
<p>点击页面右下角的“政策问答”按钮提问，例如“北京自贸试验区的建设由哪个机构牵头统筹？”。每个回答都标注所依据的条款，点击即可查看条款原文。</p>
</section>
<section class="card"><h2>嵌入代码</h2>
<p>在任意政务网站页面中加入一行代码，即可在右下角显示问答按钮：</p>
<pre id="snippet-floating">${esc(floating)}</pre>
<p><button class="copy" type="button" data-copy="snippet-floating">复制代码</button></p>
<p>嵌入到页面中的指定位置（内嵌模式；<code>data-lang="en"</code> 切换为英文界面）：</p>
<pre id="snippet-inline">${esc(inline)}</pre>
<p><button class="copy" type="button" data-copy="snippet-inline">复制代码</button></p>
</section>
</aside>
</div>
<script nonce="${nonce}">
for (const b of document.querySelectorAll('button[data-copy]'))
  b.addEventListener('click', () => {
    const text = document.getElementById(b.dataset.copy).textContent;
    navigator.clipboard.writeText(text).then(() => { b.textContent = '已复制'; setTimeout(() => (b.textContent = '复制代码'), 2000); }, () => { b.textContent = '请手动复制'; });
  });
</script>`;
  return layout('政策服务 · 北京市政策服务平台（演示）', nonce, body, '/');
}

/** One policy, each clause a target (id = clause id) that the widget's links scroll to and highlight. */
const STATUS_ZH: Record<DocumentView['status']['status'], string> = { in_force: '现行有效', expired: '已过期', repealed: '已废止', not_yet_effective: '尚未施行' };

export function documentPage(doc: DocumentView, nonce: string): string {
  const meta: string[] = [];
  const row = (name: string, value?: string) => value && meta.push(`<dt>${name}</dt><dd>${esc(value)}</dd>`);
  row('文号', doc.docNumber);
  row('发布机关', doc.issuers.join('、') || undefined);
  row('发布日期', doc.issueDate);
  row('施行日期', doc.effectiveDate);
  row('有效期', doc.validity ?? doc.expiryDate);
  row('效力状态', `${STATUS_ZH[doc.status.status]}（${doc.status.reason}，截至${doc.status.asOf}）`);
  if (doc.bodyMissing) row('正文', '来源只收录了标题，正文缺失，不引用其内容');
  if (doc.timeStatements.length) meta.push(`<dt>时效说明</dt><dd><ul>${doc.timeStatements.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></dd>`);
  row('条款数', String(doc.clauses.length));

  const parts: string[] = [];
  let at = 0;
  for (const c of doc.clauses) {
    const between = doc.text.slice(at, c.start).trim();
    if (between) parts.push(`<div class="between">${esc(between)}</div>`);
    const id = esc(c.id);
    parts.push(
      `<section class="clause" id="${id}" tabindex="-1" aria-label="${esc(c.label)}"><a class="anchor" href="#${id}" title="本条链接">¶</a>${esc(doc.text.slice(c.start, c.end).trim())}</section>`,
    );
    at = c.end;
  }
  const rest = doc.text.slice(at).trim();
  if (rest) parts.push(`<div class="between">${esc(rest)}</div>`);

  const others = doc.titles.filter((t) => t !== doc.title);
  const body = `<div class="narrow">
<p class="crumbs"><a href="/">首页</a> › <a href="/#policies">政策文件</a> › ${esc(doc.title)}</p>
<article class="card doc">
<h1>${esc(doc.title)}</h1>
${others.length ? `<p class="sub">${others.map(esc).join('<br>')}</p>` : ''}
<dl class="meta">${meta.join('')}</dl>
</article>
<article class="card doc" aria-label="正文">${parts.join('\n')}</article>
</div>
<script nonce="${nonce}">
// The browser's own jump puts the clause under the top of the window; centring it reads better.
function showTarget() {
  const el = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (el) { el.scrollIntoView({ block: 'center' }); el.focus({ preventScroll: true }); }
}
window.addEventListener('hashchange', showTarget);
showTarget();
</script>`;
  return layout(`${doc.title} · 北京市政策服务平台（演示）`, nonce, body, '/#policies');
}

function notFoundPage(id: string, nonce: string): string {
  const body = `<section class="card notfound"><h2>未找到该政策文件</h2><p>没有编号为“${esc(id.slice(0, 100))}”的政策文件，它可能已被更新或移除。</p><p><a href="/#policies">返回政策文件库</a></p></section>`;
  return layout('未找到该政策文件 · 北京市政策服务平台（演示）', nonce, body);
}
