import { createRequire } from 'node:module';
import path from 'node:path';
import { ARTICLE_INFO, CHROME_LINE, CHROME_TEXT, ICP } from './chrome.ts';
import { CorpusError, EncryptedFileError, NoTextLayerError, UnreadableFileError } from '../errors.ts';
import type { Extracted } from './index.ts';
import { stripSiteName } from './title.ts';

const pdfjsDir = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
// pdf.js's Node readers take directory paths; the CMaps decode Chinese text in fonts that use the
// predefined Adobe-GB1 encodings (UniGB-UCS2-H…) instead of embedding a ToUnicode map.
const CMAP_DIR = path.join(pdfjsDir, 'cmaps') + path.sep;
const FONT_DIR = path.join(pdfjsDir, 'standard_fonts') + path.sep;

interface Item {
  str: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * The text layer of a PDF as lines, pages separated by "\f" as pdftotext writes them; the
 * normaliser then joins wrapped lines and drops page furniture (running heads, page numbers).
 * The leading heading becomes the title, taken out of the text.
 */
export async function pdfToText(bytes: Uint8Array, file: string): Promise<Extracted> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({
    data: new Uint8Array(bytes), // pdf.js detaches the buffer it is given
    cMapUrl: CMAP_DIR,
    cMapPacked: true,
    standardFontDataUrl: FONT_DIR,
    useSystemFonts: false,
    isEvalSupported: false,
    verbosity: 0,
  });
  let doc;
  try {
    doc = await task.promise;
  } catch (e) {
    await task.destroy();
    const name = (e as Error).name;
    if (name === 'PasswordException')
      throw new EncryptedFileError(`${file}: the PDF is password-protected; remove the password (or print it to a new PDF) and add it again`, file);
    throw new UnreadableFileError(`${file}: not a readable PDF (${(e as Error).message})`, file);
  }
  try {
    const pages: { items: Item[] }[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const items: Item[] = [];
      for (const it of content.items) {
        if (!('str' in it) || !it.str) continue;
        const [a, b, , d, e, f] = it.transform as number[];
        items.push({ str: unifyRadicals(it.str), x: e!, y: f!, w: it.width, h: Math.hypot(a!, b!) || Math.abs(d!) });
      }
      pages.push({ items });
      page.cleanup();
    }
    const chars = pages.reduce((n, p) => n + p.items.reduce((m, i) => m + i.str.trim().length, 0), 0);
    if (chars < 20 * doc.numPages && chars < 200)
      throw new NoTextLayerError(
        `${file}: the PDF has no text layer (a scan or images of text); run OCR on it, or add the policy as text, and add it again`,
        file,
      );
    const pageLines = pages.map((p) => toLines(p.items));
    const meta = (await doc.getMetadata().catch(() => null))?.info as { Title?: string } | undefined;
    const title = takeTitle(pageLines, meta?.Title);
    dropWebChrome(pageLines);
    const text = pageLines.map((ls) => ls.map((l) => '\u3000'.repeat(l.indent) + l.text).join('\n')).join('\n\f\n');
    const fix = simplified(text) ? (t: string) => t.replace(/[戶―]/g, (c) => SHARED_GLYPH[c]!) : (t: string) => t;
    return { text: fix(text), title: title && fix(title) };
  } catch (e) {
    if (e instanceof CorpusError) throw e;
    throw new UnreadableFileError(`${file}: the PDF could not be read (${(e as Error).message})`, file);
  } finally {
    await doc.destroy();
  }
}

interface Line {
  text: string;
  size: number;
  /** First-line indent in characters (1–3), so the normaliser sees the line as full. */
  indent: number;
}

/** Items on one baseline make a line; a gap wider than about a space between them becomes a space. */
function toLines(items: Item[]): Line[] {
  const sorted = [...items].sort((p, q) => q.y - p.y || p.x - q.x);
  const lines: Item[][] = [];
  for (const it of sorted) {
    const cur = lines[lines.length - 1];
    if (cur && Math.abs(cur[0]!.y - it.y) <= Math.max(2, 0.4 * Math.min(cur[0]!.h, it.h))) cur.push(it);
    else lines.push([it]);
  }
  const out = lines
    .map((ls) => {
      ls.sort((p, q) => p.x - q.x);
      let text = '';
      let end = -Infinity;
      for (const it of ls) {
        if (text && it.x - end > 0.25 * it.h && !/\s$/.test(text) && !/^\s/.test(it.str)) text += ' ';
        text += it.str;
        end = it.x + it.w;
      }
      return { text: text.trim(), size: Math.max(...ls.map((i) => i.h)), x: ls[0]!.x, indent: 0 };
    })
    .filter((l) => l.text);
  // The left margin is where most lines start.
  const starts = new Map<number, number>();
  for (const l of out) starts.set(Math.round(l.x), (starts.get(Math.round(l.x)) ?? 0) + 1);
  const left = [...starts.entries()].sort((p, q) => q[1] - p[1])[0]?.[0] ?? 0;
  for (const l of out) {
    const n = Math.round((l.x - left) / l.size);
    l.indent = n >= 1 && n <= 3 ? n : 0;
  }
  return out;
}

const squash = (s: string) => s.replace(/\s+/g, '');

/**
 * The title: the document information's Title (browsers write the page's <title> there) minus the
 * site's name, else the first page's leading lines set larger than the body. The heading lines
 * that spell it are taken out of the text.
 */
function takeTitle(pages: Line[][], infoTitle: string | undefined): string | undefined {
  const first = pages.find((p) => p.length > 0);
  if (!first) return undefined;
  const sizes = pages.flat().map((l) => l.size).sort((a, b) => a - b);
  const body = sizes[Math.floor(sizes.length / 2)]!;
  // Skip a running head above the heading: lines smaller than the body at the top of the page.
  let i = 0;
  while (i < first.length && first[i]!.size < body * 0.9) i++;
  let j = i;
  while (j < first.length && j < i + 4 && first[j]!.size > body * 1.15) j++;
  const heading = first.slice(i, j).map((l) => l.text).join('');
  const fromInfo = infoTitle ? stripSiteName(infoTitle) : undefined;
  if (heading) {
    // Above the heading of a printed web page: the site's name, navigation and breadcrumbs (a
    // 文号 set small stays).
    const above = first.slice(0, i).filter((l) => DOC_NUMBER.test(l.text));
    first.splice(0, j, ...above);
    while (first.length > above.length && ARTICLE_INFO.test(first[above.length]!.text)) first.splice(above.length, 1);
    // The information's Title keeps the spacing of the original where the lines broke it.
    return fromInfo && squash(fromInfo) === squash(heading) ? fromInfo : heading.trim();
  }
  return fromInfo;
}

const DOC_NUMBER = /[〔［\[（(]\s*\d{4}\s*[〕］\]）)]\s*\d+\s*号/;

/**
 * A web page printed without a print stylesheet ends with its share and print buttons, link lists
 * and imprint: from the first such line near the end of the last page, the rest goes; buttons go
 * wherever they stand.
 */
function dropWebChrome(pages: Line[][]): void {
  const last = pages.findLast((p) => p.length > 0);
  if (last) {
    const from = last.findIndex((l, k) => k >= last.length - 20 && (CHROME_TEXT.test(l.text) || ICP.test(l.text)));
    if (from >= 0) last.splice(from);
  }
  for (const p of pages) for (let k = p.length - 1; k >= 0; k--) if (CHROME_LINE.test(p[k]!.text)) p.splice(k, 1);
}

/**
 * CJK fonts draw 自 and the Kangxi radical ⾃ with one glyph, and PDF writers often map the glyph back
 * to the radical; text must hold the ideograph. Kangxi radicals have NFKC forms; the simplified
 * radicals of the supplement block do not, so those used as whole characters are listed.
 */
const SUPPLEMENT: Record<string, string> = Object.fromEntries(
  [...'⺁厂⺇几⺊卜⺎兀⺐尢⺒巳⺓幺⺗心⺝月⺟母⺠民⺩王⺪疋⺮竹⺯糸⻄西⻅见⻆角⻉贝⻊足⻋车⻑長⻓长⻔门⻗雨⻘青⻙韦⻚页⻛风⻜飞⻝食⻢马⻣骨⻤鬼⻥鱼⻦鸟⻧卤⻨麦⻩黄⻪黾⻬齐⻮齿⻰龙⻳龟'].flatMap((c, i, a) =>
    i % 2 === 0 ? [[c, a[i + 1]!]] : [],
  ),
);
export function unifyRadicals(s: string): string {
  return s.replace(/[\u2e80-\u2fdf]/g, (c) => SUPPLEMENT[c] ?? (c >= '\u2f00' ? c.normalize('NFKC') : c));
}

/**
 * Simplified-Chinese fonts draw 户 and 戶, — and ― with one glyph each, and the PDF's text map
 * keeps one of the two; in simplified text it is the first.
 */
const SHARED_GLYPH: Record<string, string> = { 戶: '户', '―': '—' };
function simplified(text: string): boolean {
  const count = (re: RegExp) => text.match(re)?.length ?? 0;
  return count(/[国这发们为业区关说时]/g) > 2 * count(/[國這發們為業區關說時]/g);
}
