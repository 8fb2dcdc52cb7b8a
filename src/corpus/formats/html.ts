import { CHROME_LINE, CHROME_TEXT, ICP } from './chrome.ts';
import type { Extracted } from './index.ts';
import { stripSiteName } from './title.ts';

/** Elements whose content starts a new line of text. */
const BLOCK = new Set(
  'address article aside blockquote dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr td th ul'.split(' '),
);

/**
 * The article of a web page as plain text, one line per block: Readability finds the main content
 * (navigation, breadcrumbs, link lists and footers fall away), and the title is the page's heading
 * or its <title> minus the site's name, taken out of the text.
 */
export async function htmlToText(source: string): Promise<Extracted> {
  // Loaded on first use: ~0.5 s of start-up that a corpus of text files never needs.
  const [{ parseHTML }, { Readability }] = await Promise.all([import('linkedom'), import('@mozilla/readability')]);
  const { document } = parseHTML(source);
  const h1 = document.querySelector('h1')?.textContent?.replace(/\s+/g, ' ').trim();
  const pageTitle = document.querySelector('title')?.textContent ?? '';
  removeChrome(document);
  // charThreshold 0: a short notice is still an article.
  const article = new Readability(document as unknown as Document, { charThreshold: 0, keepClasses: false }).parse();
  const title = h1 || stripSiteName(pageTitle) || article?.title?.trim() || undefined;
  let lines: string[];
  if (article?.content) lines = blockLines(parseHTML(`<html><body>${article.content}</body></html>`).document.body);
  else lines = blockLines(document.body);
  lines = lines.filter((l) => !CHROME_LINE.test(l));
  if (title && lines.length && squash(lines[0]!) === squash(title)) lines.shift();
  return { text: lines.join('\n'), title };
}

const squash = (s: string) => s.replace(/\s+/g, '');

const CHROME_TAGS = 'nav, header, footer, aside, form, button, input, select, textarea, iframe, script, style, noscript';
/** Class and id words of site furniture on Chinese government pages. */
const CHROME_NAME = /(^|[-_\s])(nav|navbar|menu|head|header|foot|footer|crumbs?|bread(crumbs?)?|position|location|weizhi|share|fenxiang|tools?|print|related|relevant|xglj|links?|friendlinks?|copyright|banquan|sidebar|search|banner|qrcode)([-_\s\d]|$)/i;

/**
 * Takes the site's furniture out before Readability looks: on a short page (a notice of three
 * articles) Readability keeps the whole body, navigation included.
 */
function removeChrome(document: { querySelectorAll(s: string): ArrayLike<Element>; body: Element | null }): void {
  for (const el of Array.from(document.querySelectorAll(CHROME_TAGS))) if (!el.querySelector('h1')) el.remove();
  for (const el of Array.from(document.querySelectorAll('[class], [id]'))) {
    const name = `${el.getAttribute('class') ?? ''} ${el.getAttribute('id') ?? ''}`;
    if (CHROME_NAME.test(name) && !el.querySelector('h1') && el.isConnected) el.remove();
  }
  for (const el of Array.from(document.querySelectorAll('div, p, ul, ol, li, td, span, table, section, dl'))) {
    if (!el.isConnected) continue;
    const text = el.textContent ?? '';
    if (text.length > 400) continue;
    if (CHROME_TEXT.test(text) || ICP.test(text)) el.remove();
  }
}

/** Text of an element tree, a line per block element and <br>. */
export function blockLines(root: Node | null | undefined): string[] {
  const lines: string[] = [];
  let cur = '';
  const flush = () => {
    const t = cur.replace(/[ \t\r\n\f\u00a0]+/g, ' ').trim();
    if (t) lines.push(t);
    cur = '';
  };
  const walk = (node: Node) => {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === 3) cur += child.textContent ?? '';
      else if (child.nodeType === 1) {
        const tag = (child as Element).tagName.toLowerCase();
        if (tag === 'script' || tag === 'style' || tag === 'noscript' || tag === 'template') continue;
        if (tag === 'br') flush();
        else if (BLOCK.has(tag)) {
          flush();
          walk(child);
          flush();
        } else walk(child);
      }
    }
  };
  if (root) walk(root);
  flush();
  return lines;
}
